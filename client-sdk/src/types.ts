import type { ErrorCode } from '../../protocol/errors.js';
import type {
  LeaveReason,
  MediaSource,
  PointInfo,
  PointQualityInfo,
  RecordingProblemKind,
} from '../../protocol/signaling.js';

// The protocol's own words, as the SDK's users see them (protocol/signaling.ts).
export type {
  ConnectionStatus,
  LeaveReason,
  LinkQuality,
  PointQualityInfo,
  MediaSource,
  PointInfo,
  PointKind,
  RecordingProblemKind,
  Role,
} from '../../protocol/signaling.js';
export type { ErrorCode } from '../../protocol/errors.js';

/** `connecting` → `connected` ⇄ `reconnecting` → `closed`. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A remote point's track, ready for a `<video>` or `<audio>` element. */
export interface TrackEvent {
  pointId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  track: MediaStreamTrack;
  consumerId: string;
}

/** What a remote track's receiver has decoded so far (from `getStats`). */
export interface RemoteTrackStats {
  pointId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  consumerId: string;
  bytesReceived: number;
  packetsLost: number;
  /** Video only. */
  framesDecoded?: number;
  frameWidth?: number;
  /** Audio only. */
  totalSamplesReceived?: number;
}

/**
 * A coded error (protocol/errors.ts): from the server, e.g. `DC_ERR_TOKEN_EXPIRED`, or
 * the SDK's own, e.g. `DC_ERR_DISCONNECTED`.
 */
export class DiemcauError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DiemcauError';
    this.code = code;
  }
}

/** The session's events (`session.on(name, listener)`). */
export type SessionEvents = {
  pointJoined: [PointInfo];
  pointLeft: [{ pointId: string; reason: LeaveReason }];
  pointUpdated: [PointInfo];
  track: [TrackEvent];
  trackEnded: [
    { pointId: string; kind: 'audio' | 'video'; source: MediaSource; consumerId: string },
  ];
  /** A remote point paused or resumed a track (its microphone, say). */
  remoteTrackPaused: [{ pointId: string; source: MediaSource; paused: boolean }];
  /**
   * The simulcast layer a remote video is received in changed (the server chooses it
   * within what this point asked for); `null`: none is sent now.
   */
  trackLayers: [
    {
      pointId: string;
      source: MediaSource;
      consumerId: string;
      layers: { spatialLayer: number; temporalLayer?: number } | null;
    },
  ];
  activeSpeaker: [{ pointId: string | null }];
  connectionState: [ConnectionState];
  /** The chair ended the session; the connection is closed. */
  sessionEnded: [{ by: string }];
  /** Every point's link quality, graded by the server (every 3 s). */
  pointQuality: [PointQualityInfo[]];
  /** This point was removed by the operator; the session is closed. */
  kicked: [{ reason: 'removed'; by?: string }];
  /** The operator muted or unmuted this point's microphone. */
  mutedByOperator: [{ muted: boolean; by: string }];
  /** `by`: the point whose chair locked or unlocked it. */
  sessionLocked: [{ locked: boolean; by: string }];
  /** The session is (or stops being) recorded on the central point's disk. */
  /** `by`: the chair's point, `recorder` (disk alarm), absent when told at join. */
  recordingState: [{ recording: boolean; by?: string }];
  /**
   * The central point's archive disk is almost full: recording was stopped cleanly.
   * Operators and hosts should free space (or export old sessions) and restart it.
   */
  recordingAlarm: [{ reason: 'disk-low'; freeMb: number; minFreeMb: number }];
  /** `by`: the chair's point (absent when the spotlit point left). */
  spotlight: [{ pointId: string | null; by?: string }];
  /**
   * Operators and hosts only: something went wrong with the recording (a point's recording
   * interrupted or not starting, a segment empty or unreadable, a join or the composite
   * failed). The server logs it, and `/healthz` and `/metrics` show it too.
   */
  recordingProblem: [
    { kind: RecordingProblemKind; pointId: string | null; detail: string; at: string },
  ];
  /** A local track is now sent (or stopped being sent). */
  localTrack: [{ source: MediaSource; track: MediaStreamTrack | null }];
  error: [DiemcauError];
};

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The invitation token (from the operator, or `diemcau token`). */
  token: string;
  /** Server address: `https://host:port`, or the `wss://…/ws` URL. Default: this page's origin. */
  url?: string;
  /** Refuse a token for any other session (DC_ERR_TOKEN_WRONG_SESSION). */
  sessionId?: string;
  /**
   * The clerk acknowledged that the session is recorded at the central point (the page
   * asks before joining): kept in the session's timeline and audit log.
   */
  acknowledgedRecording?: boolean;
  /**
   * Listeners attached before the session starts: they see every event from the first
   * (the tracks found while joining, as for any listener, once `connect()` has resolved).
   */
  on?: { [K in keyof SessionEvents]?: (...args: SessionEvents[K]) => void };
}

/** What to send: `true` asks the browser for the default device, or pass your own track. */
export interface PublishOptions {
  audio?: boolean | MediaStreamTrack;
  video?: boolean | MediaStreamTrack;
  /** Share the screen (asks the browser's picker) as a second video. */
  screen?: boolean | MediaStreamTrack;
}
