/**
 * The running diemcau server: the HTTP API on Fastify, WebSocket signaling, the live
 * sessions on the mediasoup worker pool, the recorder process, and the planning in the
 * data directory's database. It owns all of them and closes all of them.
 */
import path from 'node:path';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { publicUrlOf, isLoopback } from './config/addresses.js';
import { clientRoutes } from './http/clientRoutes.js';
import { apiRoutes } from './http/apiRoutes.js';
import { useCodedErrors } from './http/codedErrors.js';
import { isOperatorOrSecret } from './http/credentials.js';
import { healthRoutes } from './http/healthRoutes.js';
import { openApiRoutes } from './http/openApi.js';
import { registerRateLimits } from './http/rateLimits.js';
import { type TlsMaterial, tlsFor } from './http/tls.js';
import type { Logger } from '../common/logger.js';
import { packageVersion } from '../common/paths.js';
import { archiveDirOf } from '../archive/archivePaths.js';
import { verifyArchive } from '../archive/verifyArchive.js';
import { DiskMonitor } from './recording/DiskMonitor.js';
import { RecorderSupervisor } from './recording/RecorderSupervisor.js';
import { RecordingProblems } from './recording/RecordingProblems.js';
import { ArchiveFinisher } from './recording/ArchiveFinisher.js';
import { LiveSessions } from './sessions/LiveSessions.js';
import { ConnectivityProbes } from './connectivity/ConnectivityProbes.js';
import { LiveQuality } from './sessions/LiveQuality.js';
import { BandwidthGovernor } from './bandwidth/BandwidthGovernor.js';
import { Planning } from './sessions/Planning.js';
import { SignalingServer } from './signaling/SignalingServer.js';
import { WorkerPool } from '../workers/WorkerPool.js';

export interface ServerOptions {
  config: Readonly<Config>;
  logger: Logger;
  workerBin: string;
  /** Worker count; the caller resolves `numWorkers: 0` to the CPU count. */
  numWorkers: number;
  signingKey: Buffer;
  /** The ffmpeg the recorder process runs. */
  ffmpeg: string;
}

export class Server {
  readonly app: FastifyInstance;
  readonly pool: WorkerPool;
  /** Sessions, points, credentials and operators, as stored. */
  readonly planning: Planning;
  /** The sessions with points connected now. */
  readonly sessions: LiveSessions;
  readonly probes: ConnectivityProbes;
  readonly quality: LiveQuality;
  readonly bandwidth: BandwidthGovernor;
  readonly signaling: SignalingServer;
  readonly recorder: RecorderSupervisor;
  /** Free space of the archive disk, and its alarm. */
  readonly disk: DiskMonitor;
  readonly url: string;
  readonly tls: TlsMaterial | null;
  readonly #log: Logger;
  #closing: Promise<void> | null = null;

  static async start(options: ServerOptions): Promise<Server> {
    const { config, logger } = options;
    const tls = tlsFor(config);
    const pool = await WorkerPool.create({
      size: options.numWorkers,
      workerBin: options.workerBin,
      logLevel: config.mediasoup.logLevel,
      listenIp: config.mediasoup.listenIp,
      announcedAddress: config.mediasoup.announcedAddress,
      firstPort: config.mediasoup.rtcPort,
      logger,
    });
    let recorder: RecorderSupervisor;
    try {
      recorder = await RecorderSupervisor.start(options.ffmpeg, logger);
    } catch (error) {
      await pool.close();
      throw error;
    }
    const disk = new DiskMonitor(
      path.join(config.dataDir, 'archive'),
      config.recorder.minFreeDiskMb,
      logger,
    );
    const problems = new RecordingProblems(logger);
    // The planning and the live sessions tell each other: a revoked credential cuts its
    // connection, an ended session sends its points away, a finished archive is archived.
    let live: LiveSessions | null = null;
    const log = logger.child({ component: 'sessions' });
    // Known once the server listens (port 0 picks one).
    let publicUrl = publicUrlOf(config) ?? '';
    const planning = Planning.open({
      config,
      signingKey: options.signingKey,
      publicUrl: () => publicUrl,
      onRevoked: (sessionId, pointId) => {
        void live?.cut(sessionId, pointId, 'the credential was revoked');
      },
      onState: (sessionId, _from, to, by) => {
        if (to === 'ended' || to === 'cancelled') {
          void live?.end(sessionId, by);
        }
      },
    });
    const archiveProblem = async (sessionId: string): Promise<string | null> => {
      const result = await verifyArchive(archiveDirOf(config.dataDir, sessionId), {
        ffmpeg: options.ffmpeg,
      });
      if (result.status === 'complete') {
        return null;
      }
      return [result.status, ...result.problems, ...result.gaps].join('; ');
    };
    const finisher = new ArchiveFinisher({
      dataDir: config.dataDir,
      logger,
      supervisor: recorder,
      problems,
      composite: config.recorder.composite,
      onFinished: async (sessionId) => {
        // An ended session whose recordings are joined and whole is archived.
        const session = planning.store.getSession(sessionId);
        if (session?.state === 'ended' && (await archiveProblem(sessionId)) === null) {
          planning.sessions.transition(sessionId, 'archived', 'recorder', undefined, () => null);
        }
      },
    });
    live = new LiveSessions({
      pool,
      dataDir: config.dataDir,
      finisher,
      logger,
      maxDelegatePoints: config.sessions.maxDelegatePoints,
      reconnectGraceMs: config.sessions.reconnectGraceSeconds * 1000,
      describe: (sessionId) => planning.sessions.describe(sessionId),
      onEnd: (sessionId, by) => planning.sessions.transition(sessionId, 'ended', by),
      recorder: {
        supervisor: recorder,
        segmentSeconds: config.recorder.segmentSeconds,
        autoStart: config.recorder.autoStart,
        disk,
        problems,
      },
    });
    const sessions = live;
    const quality = new LiveQuality(live, pool, logger);
    const bandwidth = new BandwidthGovernor(
      config.bandwidth,
      () =>
        live.opened().map((l) => ({
          id: l.id,
          room: l.room,
          // Read at each tick: an operator may change it while the session runs.
          linkMbps: linkMbpsOf(planning.sessions, l.id),
        })),
      logger,
    );
    const probes = new ConnectivityProbes({
      pool,
      logger,
      limits: config.connectivity,
      // A test is as heavy as a point in a session: no more at once than a full session.
      maxConcurrent: config.sessions.maxDelegatePoints + 1,
      record: (claims, graded) => {
        const { grade, ...figures } = graded;
        return planning.sessions.recordTest(claims.sessionId, claims.pointId, grade, figures);
      },
    });
    let app: FastifyInstance;
    let signaling: SignalingServer;
    try {
      app = await buildApp(config, logger, {
        pool,
        recorder,
        disk,
        problems,
        tls,
        planning,
        sessions,
        quality,
        bandwidth,
        probes,
        ffmpeg: options.ffmpeg,
        archiveProblem,
        publicUrl: () => publicUrl,
      });
      signaling = new SignalingServer(app, {
        tokens: planning.tokens,
        sessions,
        authorize: (claims, purpose) => {
          if (purpose === 'connectivity-test') {
            planning.credentials.authorizeTest(claims);
          } else {
            planning.credentials.authorize(claims, true);
          }
        },
        probes,
        logger,
        maxMessageBytes: config.signaling.maxMessageBytes,
        authTimeoutMs: config.signaling.authTimeoutSeconds * 1000,
        maxConnectionsPerAddress: config.signaling.maxConnectionsPerAddress,
      });
      await app.listen({ host: config.http.host, port: config.http.port });
    } catch (error) {
      probes.close();
      quality.close();
      bandwidth.close();
      disk.close();
      await pool.close();
      await recorder.close();
      planning.close();
      throw error;
    }
    log.info({ database: path.join(config.dataDir, 'diemcau.db') }, 'planning store open');
    // What a stopped server left unfinished on the archives, in the background.
    void finisher.resume((id) => sessions.has(id));
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    publicUrl = publicUrlOf(config, port) ?? url;
    return new Server({
      app,
      pool,
      planning,
      sessions,
      probes,
      quality,
      bandwidth,
      signaling,
      recorder,
      disk,
      url,
      tls,
      logger,
    });
  }

  private constructor(parts: {
    app: FastifyInstance;
    pool: WorkerPool;
    planning: Planning;
    sessions: LiveSessions;
    probes: ConnectivityProbes;
    quality: LiveQuality;
    bandwidth: BandwidthGovernor;
    signaling: SignalingServer;
    recorder: RecorderSupervisor;
    disk: DiskMonitor;
    url: string;
    tls: TlsMaterial | null;
    logger: Logger;
  }) {
    this.recorder = parts.recorder;
    this.disk = parts.disk;
    this.app = parts.app;
    this.pool = parts.pool;
    this.planning = parts.planning;
    this.sessions = parts.sessions;
    this.probes = parts.probes;
    this.quality = parts.quality;
    this.bandwidth = parts.bandwidth;
    this.signaling = parts.signaling;
    this.url = parts.url;
    this.tls = parts.tls;
    this.#log = parts.logger;
  }

  /** Stops accepting requests, then closes the workers. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#log.info('server closing');
      try {
        // Clients first (told the server is going away), then sessions, HTTP, workers.
        await this.signaling.close();
        this.probes.close();
        this.quality.close();
        this.bandwidth.close();
        await this.sessions.close();
        await this.app.close();
        await this.recorder.close();
      } finally {
        this.disk.close();
        await this.pool.close();
        this.planning.close();
      }
      this.#log.info('server closed');
    })();
    return this.#closing;
  }
}

async function buildApp(
  config: Readonly<Config>,
  logger: Logger,
  deps: {
    pool: WorkerPool;
    recorder: RecorderSupervisor;
    disk: DiskMonitor;
    problems: RecordingProblems;
    tls: TlsMaterial | null;
    planning: Planning;
    sessions: LiveSessions;
    quality: LiveQuality;
    bandwidth: BandwidthGovernor;
    probes: ConnectivityProbes;
    ffmpeg: string | undefined;
    archiveProblem: (sessionId: string) => Promise<string | null>;
    publicUrl: () => string;
  },
): Promise<FastifyInstance> {
  const { tls, planning } = deps;
  const tokens = planning.tokens;
  const app = Fastify({
    loggerInstance: logger,
    // A body is taken as it is sent: a number is not a title, an unknown field is an
    // error, not something quietly dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    bodyLimit: 1024 * 1024,
    // By the time the HTTP server closes, signaling and rooms are closed: any connection
    // left (a browser's keep-alive, a request in flight) must not hold the shutdown.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;

  await registerRateLimits(app, config.http.rateLimitPerMinute);
  useCodedErrors(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'diemcau operator API',
        version: packageVersion,
        description:
          'Sessions, bridge points, credentials, invitations, transitions, readiness, tests and recordings of a central point (docs/contract.md).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          console: { type: 'apiKey', in: 'cookie', name: 'diemcau_console' },
        },
      },
      security: [{ bearer: [] }, { console: [] }],
    },
  });

  // Pids, ports, paths and disk figures are for this machine, or for operators.
  const onLoopback = isLoopback(config.http.host);
  await app.register(healthRoutes, {
    pool: deps.pool,
    recorder: deps.recorder,
    disk: deps.disk,
    problems: deps.problems,
    quality: deps.quality,
    bandwidth: deps.bandwidth,
    probes: deps.probes,
    testsByGrade: () => planning.store.countTestsByGrade(),
    version: packageVersion,
    startedAt: Date.now(),
    mayInspect: (req) =>
      onLoopback ||
      isOperatorOrSecret(tokens, req, config.http.metricsToken) ||
      planning.operators.verifyToken(
        /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '',
      ) !== null,
  });
  await app.register(clientRoutes, { tokens });
  await app.register(apiRoutes, {
    prefix: '/api/v1',
    tokens,
    operators: planning.operators,
    sessions: planning.sessions,
    credentials: planning.credentials,
    live: deps.sessions,
    dataDir: config.dataDir,
    publicUrl: deps.publicUrl,
    secureCookies: tls !== null,
    archiveProblem: deps.archiveProblem,
    quality: deps.quality,
    bandwidth: deps.bandwidth,
    disk: deps.disk,
    ffmpeg: deps.ffmpeg,
  });
  await app.register(openApiRoutes);
  return app;
}

/** A live session's own share of the link; null (an even share) if it has none, or is gone. */
function linkMbpsOf(
  sessions: { get(id: string): { linkMbps: number | null } },
  id: string,
): number | null {
  try {
    return sessions.get(id).linkMbps;
  } catch {
    return null;
  }
}
