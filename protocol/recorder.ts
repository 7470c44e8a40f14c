/**
 * Messages between `diemcau serve` and its recorder process (Node IPC). Requests carry
 * an `id`; the recorder answers each with `ok` (its method's answer) or `error` under
 * the same id. Types only: both processes compile against this one description.
 */

/** One RTP stream ffmpeg takes in: a line of its SDP. */
export interface SdpTrack {
  kind: 'audio' | 'video';
  /** RTP port ffmpeg listens on; RTCP on `rtcpPort` (sender reports align audio with video). */
  port: number;
  rtcpPort: number;
  payloadType: number;
  /** e.g. `opus`, `VP8`, `H264`, `VP9`. */
  codec: string;
  clockRate: number;
  channels?: number;
  fmtp?: Record<string, string | number>;
}

/** A segment ffmpeg closed, hashed. */
export interface ClosedSegment {
  file: string;
  bytes: number;
  sha256: string;
  /** Seconds from the start of this recording, as ffmpeg reports them. */
  start: number;
  end: number;
  /** ffmpeg could open it and found sound or picture (checked as it closes). */
  readable?: boolean;
}

/** A run's segments joined into one verified file. */
export interface JoinedRun {
  file: string;
  bytes: number;
  sha256: string;
  packets: number;
  seconds: number;
  /** Jumps of a stream's clock taken out (see clockRepairs): where, and by how much. */
  clockJumps: { stream: number; packet: number; seconds: number }[];
}

/** One continuous recording of a point, `offset` seconds after the composite's start. */
export interface CompositeRun {
  file: string;
  offset: number;
  video: boolean;
  audio: boolean;
}

/** One point's place in the composite grid: its name and its runs. */
export interface CompositeCell {
  label: string;
  runs: CompositeRun[];
}

export interface RenderedComposite {
  file: string;
  bytes: number;
  sha256: string;
  seconds: number;
  /** Seconds of video made per second spent. */
  speed: number;
}

/** A request or answer without fields. */
type Empty = Record<never, never>;

/** Each request the recorder takes: what it is sent, and what it answers. */
export interface RecorderMethods {
  ping: { request: Empty; answer: { points: string[] } };
  startPoint: {
    request: {
      key: string;
      dir: string;
      /** ffmpeg's SDP and segment list, outside the archive. */
      workDir: string;
      name: string;
      tracks: SdpTrack[];
      segmentSeconds: number;
    };
    /** Its ffmpeg: if the recorder dies, the server tells the orphan to finish. */
    answer: { pid: number | null; rtcpPorts: readonly number[] };
  };
  stopPoint: { request: { key: string }; answer: { segments: readonly ClosedSegment[] } };
  /** Joins a run's segments into `output`. */
  joinRun: {
    request: {
      segments: string[];
      output: string;
      /** How long the run was recorded (wall clock): see joinSegments' clock repairs. */
      recordedSeconds?: number;
    };
    answer: JoinedRun;
  };
  /** Renders a composite record; progress under `job`. */
  composite: {
    request: {
      job: string;
      cells: CompositeCell[];
      origin: string;
      seconds: number;
      output: string;
    };
    answer: RenderedComposite;
  };
  shutdown: { request: Empty; answer: Empty };
}

export type RecorderMethod = keyof RecorderMethods;

/** A request as the server writes it (`id` added by the supervisor). */
export type RecorderRequestBody = {
  [M in RecorderMethod]: { type: M } & RecorderMethods[M]['request'];
}[RecorderMethod];

export type RecorderRequest = RecorderRequestBody & { id: number };

export type RecorderAnswer<M extends RecorderMethod> = RecorderMethods[M]['answer'];

export type RecorderMessage =
  | { type: 'ready'; pid: number }
  | { type: 'ok'; id: number; data?: unknown }
  /** `interrupted`: cut short by the recorder's shutdown, not failed on its input. */
  | { type: 'error'; id: number; message: string; interrupted?: boolean }
  /** A segment of run `name` was closed and hashed. */
  | { type: 'segment'; key: string; name: string; segment: ClosedSegment }
  /** Run `name` lost video packets for good: its point must send a keyframe. */
  | { type: 'pictureBroken'; key: string; name: string }
  /** No video frame has reached run `name` since `since` (ms since the epoch). */
  | { type: 'pictureQuiet'; key: string; name: string; since: number }
  /** Frames reach run `name` again. */
  | { type: 'pictureFlows'; key: string; name: string }
  /** ffmpeg of run `name` stopped on its own. */
  | { type: 'pointDied'; key: string; name: string; message: string }
  | { type: 'compositeProgress'; job: string; fraction: number };
