/**
 * The one configuration schema. Defaults live in `config/default.json`; this file says
 * what each key may hold, and which keys are secret (never logged).
 */

import type { LogLevel } from '../../common/logger.js';

export type { LogLevel };
export type WorkerLogLevel = 'debug' | 'warn' | 'error' | 'none';

export interface Config {
  /** Embedded database, keys and `archive/`. Env: DIEMCAU_DATA_DIR. */
  dataDir: string;
  http: {
    host: string;
    /** 0 picks a free port (tests); the log and stdout say which. */
    port: number;
    tlsCertFile: string | null;
    tlsKeyFile: string | null;
    /**
     * The address delegates open, e.g. `https://192.168.1.10:4443` (invitation links);
     * null: the bind address, when it is not 0.0.0.0.
     */
    publicUrl: string | null;
    /** Requests one address may make per minute, every route together (a NAT'd office shares one). */
    rateLimitPerMinute: number;
    /**
     * A bearer token for `/metrics` on a network bind (a Prometheus scraper), besides
     * operator tokens; null: operator tokens only. On loopback `/metrics` is open.
     */
    metricsToken: string | null;
  };
  log: { level: LogLevel };
  mediasoup: {
    /** 0 means one worker per CPU core. */
    numWorkers: number;
    workerBin: string | null;
    logLevel: WorkerLogLevel;
    /** Address the WebRtcServers bind to. */
    listenIp: string;
    /** Address announced to browsers when the server sits behind NAT. */
    announcedAddress: string | null;
    /** Worker i's WebRtcServer listens on UDP and TCP port rtcPort + i. */
    rtcPort: number;
  };
  ffmpeg: { path: string | null };
  recorder: {
    minFreeDiskMb: number;
    /** Length of a media segment: a crash loses at most the one being written. */
    segmentSeconds: number;
    /** Record every point as soon as it sends media. */
    autoStart: boolean;
    /** Render the composite record (all points in a grid, MP4) when a session ends. */
    composite: boolean;
  };
  auth: {
    /** HS256 key for invitation tokens; null: generated once into <dataDir>/keys/. */
    jwtSecret: string | null;
    defaultTokenTtlSeconds: number;
  };
  sessions: {
    maxDelegatePoints: number;
    /** How long a point that lost its connection keeps its place before it is counted as left. */
    reconnectGraceSeconds: number;
    /** On a data directory without any session, plan and open a demo session at start. */
    demo: boolean;
  };
  /** The connectivity test (docs/connectivity.md): how long, how heavy, and its thresholds. */
  connectivity: {
    /** Seconds of media measured (after a short ramp-up that is not counted). */
    seconds: number;
    /** Copies of the point's camera consumed back: one large, the rest as thumbnails. */
    videoCopies: number;
    delegate: LinkThresholds;
    central: LinkThresholds;
  };
  /** The bandwidth governor (docs/bandwidth.md): the central point's link and each delegate's. */
  bandwidth: {
    enabled: boolean;
    /** The central point's link, everything the server sends across it (Mbit/s). */
    linkMbps: number;
    /** Kept free of media on every link: RTCP, bursts (%); sound, RTX and probing are measured. */
    headroomPct: number;
    /** A delegate point's downlink (Mbit/s). */
    delegateDownlinkMbps: number;
    /** The central point's PCs sit on the server's LAN: what they receive is not counted. */
    centralOnLan: boolean;
    /** Publishers send the simulcast layers nobody receives as a trickle. */
    dynacast: boolean;
  };
  signaling: {
    maxMessageBytes: number;
    /** A WebSocket that has not authenticated by then is closed (4008). */
    authTimeoutSeconds: number;
    /** WebSockets one address may hold open at once. */
    maxConnectionsPerAddress: number;
  };
}

/** Pass at or better than `…Pass`, warn down to `…Warn`, fail beyond. */
export interface LinkThresholds {
  upPassKbps: number;
  upWarnKbps: number;
  downPassKbps: number;
  downWarnKbps: number;
  lossPassPct: number;
  lossWarnPct: number;
  rttPassMs: number;
  rttWarnMs: number;
  jitterPassMs: number;
  jitterWarnMs: number;
}

export type FieldSpec =
  | { type: 'integer'; min: number; max: number; doc: string; secret?: boolean }
  | { type: 'string'; nullable: boolean; doc: string; secret?: boolean; minLength?: number }
  | { type: 'enum'; values: readonly string[]; doc: string; secret?: boolean }
  | { type: 'boolean'; doc: string; secret?: boolean };

type Schema<T> = {
  [K in keyof T]: T[K] extends string | number | boolean | null ? FieldSpec : Schema<T[K]>;
};

function linkThresholds(of: string): Schema<LinkThresholds> {
  const kbps = (what: string): FieldSpec => ({
    type: 'integer',
    min: 0,
    max: 1_000_000,
    doc: `${what} (kbit/s), ${of}`,
  });
  const ms = (what: string): FieldSpec => ({
    type: 'integer',
    min: 0,
    max: 60_000,
    doc: `${what} (ms), ${of}`,
  });
  const pct = (what: string): FieldSpec => ({
    type: 'integer',
    min: 0,
    max: 100,
    doc: `${what} (%), ${of}`,
  });
  return {
    upPassKbps: kbps('Upstream for a pass'),
    upWarnKbps: kbps('Upstream below which a test fails'),
    downPassKbps: kbps('Downstream for a pass'),
    downWarnKbps: kbps('Downstream below which a test fails'),
    lossPassPct: pct('Packet loss above which a test warns'),
    lossWarnPct: pct('Packet loss above which a test fails'),
    rttPassMs: ms('Round-trip time above which a test warns'),
    rttWarnMs: ms('Round-trip time above which a test fails'),
    jitterPassMs: ms('Jitter above which a test warns'),
    jitterWarnMs: ms('Jitter above which a test fails'),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const schema: Schema<Config> = {
  dataDir: { type: 'string', nullable: false, doc: 'Data directory (keys, tls, archive/, work/)' },
  http: {
    host: { type: 'string', nullable: false, doc: 'HTTP and signaling bind address' },
    port: { type: 'integer', min: 0, max: 65535, doc: 'HTTP and signaling port (0: any free)' },
    tlsCertFile: { type: 'string', nullable: true, doc: 'TLS certificate file (PEM)' },
    tlsKeyFile: { type: 'string', nullable: true, doc: 'TLS private key file (PEM)' },
    publicUrl: {
      type: 'string',
      nullable: true,
      doc: 'Address delegates open, e.g. https://192.168.1.10:4443 (invitation links)',
    },
    rateLimitPerMinute: {
      type: 'integer',
      min: 10,
      max: 1_000_000,
      doc: 'HTTP requests per minute from one address, all routes together',
    },
    metricsToken: {
      type: 'string',
      nullable: true,
      secret: true,
      minLength: 32,
      doc: 'Bearer token for /metrics on a network bind (besides operator tokens)',
    },
  },
  log: { level: { type: 'enum', values: LOG_LEVELS, doc: 'Log level' } },
  mediasoup: {
    numWorkers: { type: 'integer', min: 0, max: 64, doc: 'mediasoup workers (0: CPU count)' },
    workerBin: { type: 'string', nullable: true, doc: 'mediasoup-worker binary path' },
    logLevel: { type: 'enum', values: ['debug', 'warn', 'error', 'none'], doc: 'Worker log level' },
    listenIp: { type: 'string', nullable: false, doc: 'WebRtcServer bind address' },
    announcedAddress: {
      type: 'string',
      nullable: true,
      doc: 'Address announced in ICE candidates (NAT)',
    },
    rtcPort: {
      type: 'integer',
      min: 1,
      max: 65535 - 64,
      doc: 'First WebRtcServer port (UDP+TCP), one per worker',
    },
  },
  ffmpeg: { path: { type: 'string', nullable: true, doc: 'ffmpeg binary path' } },
  recorder: {
    minFreeDiskMb: {
      type: 'integer',
      min: 0,
      max: 10_000_000,
      doc: 'Free space (MiB) below which the archive disk is reported low',
    },
    segmentSeconds: { type: 'integer', min: 2, max: 3600, doc: 'Media segment length (s)' },
    autoStart: { type: 'boolean', doc: 'Record every point as soon as it sends media' },
    composite: {
      type: 'boolean',
      doc: 'Render the composite record (all points in a grid, H.264 MP4) when a session ends',
    },
  },
  auth: {
    jwtSecret: {
      type: 'string',
      nullable: true,
      secret: true,
      minLength: 32,
      doc: 'Token signing key (at least 32 characters); default: generated into dataDir/keys',
    },
    defaultTokenTtlSeconds: {
      type: 'integer',
      min: 60,
      max: 90 * 24 * 3600,
      doc: 'Lifetime of tokens made by `diemcau token` without --ttl',
    },
  },
  sessions: {
    maxDelegatePoints: { type: 'integer', min: 1, max: 50, doc: 'Delegate points per session' },
    reconnectGraceSeconds: {
      type: 'integer',
      min: 0,
      max: 600,
      doc: 'Seconds a disconnected point keeps its place',
    },
    demo: {
      type: 'boolean',
      doc: 'On a data directory without sessions, open a demo session at start and print its links',
    },
  },
  connectivity: {
    seconds: { type: 'integer', min: 5, max: 120, doc: 'Seconds a connectivity test measures' },
    videoCopies: {
      type: 'integer',
      min: 1,
      max: 20,
      doc: 'Copies of the camera a connectivity test receives back (1 large + thumbnails)',
    },
    delegate: linkThresholds('a delegate point (~5 Mbit/s link)'),
    central: linkThresholds('the central point (~30 Mbit/s link)'),
  },
  bandwidth: {
    enabled: {
      type: 'boolean',
      doc: 'Keep every session inside the central link and each delegate downlink',
    },
    linkMbps: {
      type: 'integer',
      min: 1,
      max: 100_000,
      doc: 'The central point link, Mbit/s (all live sessions share it)',
    },
    headroomPct: {
      type: 'integer',
      min: 0,
      max: 50,
      doc: 'Share of every link kept free of media (RTCP, bursts), %',
    },
    delegateDownlinkMbps: {
      type: 'integer',
      min: 1,
      max: 10_000,
      doc: 'A delegate point downlink, Mbit/s',
    },
    centralOnLan: {
      type: 'boolean',
      doc: 'Central point PCs on the server LAN: what they receive does not cross the link',
    },
    dynacast: {
      type: 'boolean',
      doc: 'Publishers send the simulcast layers nobody receives as a trickle (saves most of their uplinks)',
    },
  },
  signaling: {
    maxMessageBytes: {
      type: 'integer',
      min: 4096,
      max: 1024 * 1024,
      doc: 'Largest signaling message accepted; larger ones get DC_ERR_FRAME_TOO_LARGE',
    },
    authTimeoutSeconds: {
      type: 'integer',
      min: 1,
      max: 120,
      doc: 'Seconds a WebSocket may stay open without authenticating',
    },
    maxConnectionsPerAddress: {
      type: 'integer',
      min: 1,
      max: 100_000,
      doc: 'WebSockets open at once from one address',
    },
  },
};

export function isFieldSpec(value: unknown): value is FieldSpec {
  return typeof value === 'object' && value !== null && 'type' in value && 'doc' in value;
}

/** `mediasoup.numWorkers` → `DIEMCAU_MEDIASOUP_NUM_WORKERS`; `dataDir` → `DIEMCAU_DATA_DIR`. */
export function envNameFor(path: readonly string[]): string {
  return (
    'DIEMCAU_' +
    path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')
  );
}

/** Every field with its dotted path, in schema order. */
export function listFields(
  node: object = schema,
  prefix: string[] = [],
): { path: string[]; spec: FieldSpec }[] {
  const out: { path: string[]; spec: FieldSpec }[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (isFieldSpec(value)) {
      out.push({ path: [...prefix, key], spec: value });
    } else {
      out.push(...listFields(value as object, [...prefix, key]));
    }
  }
  return out;
}

/** pino `redact` paths for every secret field, under the `config` log key. */
export function secretLogPaths(): string[] {
  return listFields()
    .filter(({ spec }) => spec.secret === true)
    .map(({ path }) => ['config', ...path].join('.'));
}
