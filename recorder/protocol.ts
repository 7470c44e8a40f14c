/**
 * Messages between `diemcau serve` and its recorder process (Node IPC). Requests carry
 * an `id`; the recorder answers each with `ok` or `error` under the same id.
 */
import type { CompositeCell } from './composite.js';
import type { ClosedSegment } from './PointRecorder.js';
import type { SdpTrack } from './sdp.js';

export type RecorderRequest =
  | { id: number; type: 'ping' }
  | {
      id: number;
      type: 'startPoint';
      key: string;
      dir: string;
      /** ffmpeg's SDP and segment list, outside the archive. */
      workDir: string;
      name: string;
      tracks: SdpTrack[];
      segmentSeconds: number;
    }
  | { id: number; type: 'stopPoint'; key: string }
  /** Joins a run's segments into `output` (answer: a JoinedRun). */
  | {
      id: number;
      type: 'joinRun';
      segments: string[];
      output: string;
      /** How long the run was recorded (wall clock): see joinSegments' clock repairs. */
      recordedSeconds?: number;
    }
  /** Renders a composite record (answer: a RenderedComposite); progress under `job`. */
  | {
      id: number;
      type: 'composite';
      job: string;
      cells: CompositeCell[];
      origin: string;
      seconds: number;
      output: string;
    }
  | { id: number; type: 'shutdown' };

export type RecorderMessage =
  | { type: 'ready'; pid: number }
  | { type: 'ok'; id: number; data?: unknown }
  /** `interrupted`: cut short by the recorder's shutdown, not failed on its input. */
  | { type: 'error'; id: number; message: string; interrupted?: boolean }
  /** A segment of run `name` was closed and hashed. */
  | { type: 'segment'; key: string; name: string; segment: ClosedSegment }
  /** Run `name` lost video packets for good: its point must send a keyframe. */
  | { type: 'pictureBroken'; key: string; name: string }
  /** ffmpeg of run `name` stopped on its own. */
  | { type: 'pointDied'; key: string; name: string; message: string }
  | { type: 'compositeProgress'; job: string; fraction: number };
