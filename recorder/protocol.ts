/**
 * Messages between `diemcau serve` and its recorder process (Node IPC). Requests carry
 * an `id`; the recorder answers each with `ok` or `error` under the same id.
 */
import type { SdpTrack } from './sdp.js';
import type { ClosedSegment } from './PointRecorder.js';

export type RecorderRequest =
  | { id: number; type: 'ping' }
  | {
      id: number;
      type: 'startPoint';
      key: string;
      dir: string;
      name: string;
      tracks: SdpTrack[];
      segmentSeconds: number;
    }
  | { id: number; type: 'stopPoint'; key: string }
  | { id: number; type: 'shutdown' };

export type RecorderMessage =
  | { type: 'ready'; pid: number }
  | { type: 'ok'; id: number; data?: unknown }
  | { type: 'error'; id: number; message: string }
  /** A segment was closed and hashed. */
  | { type: 'segment'; key: string; segment: ClosedSegment }
  /** ffmpeg of a point stopped on its own. */
  | { type: 'pointDied'; key: string; message: string };
