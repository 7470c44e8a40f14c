/** Roles an invitation grants. */
export type Role = 'operator' | 'host' | 'delegate' | 'observer';

/** `connecting` → `connected` ⇄ `reconnecting` → `closed`. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type MediaSource = 'mic' | 'camera' | 'screen';

/** A bridge point present in the session. */
export interface PointInfo {
  id: string;
  name: string;
  kind: 'central' | 'delegate';
  role: Role;
  /** `reconnecting` while the point's connection is down and its place is kept. */
  connection: 'connected' | 'reconnecting';
  /** Muted by the operator or host. */
  mutedByOperator: boolean;
}

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

/** A coded error from the server, e.g. `DC_ERR_TOKEN_EXPIRED`. */
export class DiemcauError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'DiemcauError';
    this.code = code;
  }
}

/** The session's events (`session.on(name, listener)`). */
export type SessionEvents = {
  pointJoined: [PointInfo];
  pointLeft: [{ pointId: string; reason: string }];
  pointUpdated: [PointInfo];
  track: [TrackEvent];
  trackEnded: [
    { pointId: string; kind: 'audio' | 'video'; source: MediaSource; consumerId: string },
  ];
  /** A remote point paused or resumed a track (its microphone, say). */
  remoteTrackPaused: [{ pointId: string; source: MediaSource; paused: boolean }];
  activeSpeaker: [{ pointId: string | null }];
  connectionState: [ConnectionState];
  /** This point was removed by the operator; the session is closed. */
  kicked: [{ reason: string; by?: string }];
  /** The operator muted or unmuted this point's microphone. */
  mutedByOperator: [{ muted: boolean; by?: string }];
  sessionLocked: [{ locked: boolean }];
  /** The session is (or stops being) recorded on the central point's disk. */
  recordingState: [{ recording: boolean }];
  /**
   * The central point's archive disk is almost full: recording was stopped cleanly.
   * Operators and hosts should free space (or export old sessions) and restart it.
   */
  recordingAlarm: [{ reason: 'disk-low'; freeMb: number; minFreeMb: number }];
  spotlight: [{ pointId: string | null }];
  /**
   * Operators and hosts only: something went wrong with the recording (a point's recording
   * interrupted or not starting, a segment empty or unreadable, a join or the composite
   * failed). The server logs it, and `/healthz` and `/metrics` show it too.
   */
  recordingProblem: [{ kind: string; pointId: string | null; detail: string; at: string }];
  /** A local track is now sent (or stopped being sent). */
  localTrack: [{ source: MediaSource; track: MediaStreamTrack | null }];
  error: [DiemcauError];
};
