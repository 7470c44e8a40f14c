import type {
  JoinResult,
  Notification,
  PointInfo,
  PointQualityInfo,
} from '../../protocol/signaling.js';
import type { SessionEvents } from './types.js';

type StateEvent =
  | 'pointJoined'
  | 'pointUpdated'
  | 'pointLeft'
  | 'activeSpeaker'
  | 'spotlight'
  | 'sessionLocked'
  | 'recordingState'
  | 'mutedByOperator'
  | 'pointQuality';

type Emit = <K extends StateEvent>(event: K, ...args: SessionEvents[K]) => void;

/**
 * What this point knows of the room, kept from the join's snapshot and the server's
 * notifications: the points present, who speaks, the spotlight, the lock, whether it is
 * recorded, and whether the operator holds this point muted. Each change is told once.
 */
export class RoomState {
  readonly #emit: Emit;
  readonly #points = new Map<string, PointInfo>();
  /** Each point's link quality, as the server last graded it. */
  readonly quality = new Map<string, PointQualityInfo>();
  #me: string | null = null;
  activeSpeaker: string | null = null;
  spotlight: string | null = null;
  locked = false;
  recording = false;
  mutedByOperator = false;

  constructor(emit: Emit) {
    this.#emit = emit;
  }

  get points(): PointInfo[] {
    return [...this.#points.values()];
  }

  /** A join's snapshot: points that are gone are told as left, the rest as joined or updated. */
  applyJoin(joined: JoinResult): void {
    this.#me = joined.you.id;
    const present = new Set(joined.points.map((p) => p.id));
    for (const id of [...this.#points.keys()]) {
      if (!present.has(id)) {
        this.#points.delete(id);
        this.quality.delete(id);
        this.#emit('pointLeft', { pointId: id, reason: 'left' });
      }
    }
    for (const point of joined.points) {
      this.#upsert(point);
    }
    this.locked = joined.locked;
    this.spotlight = joined.spotlight;
    this.activeSpeaker = joined.activeSpeaker;
    this.mutedByOperator = joined.you.mutedByOperator;
    if (this.recording !== joined.recording) {
      this.recording = joined.recording;
      this.#emit('recordingState', { recording: this.recording });
    }
  }

  /** A notification about the room; `false` if it is not one of those. */
  apply(n: Notification): boolean {
    switch (n.method) {
      case 'pointJoined':
      case 'pointUpdated':
        this.#upsert(n.data.point);
        return true;
      case 'pointLeft':
        this.#points.delete(n.data.pointId);
        this.#emit('pointLeft', n.data);
        return true;
      case 'activeSpeaker':
        this.activeSpeaker = n.data.pointId;
        this.#emit('activeSpeaker', n.data);
        return true;
      case 'spotlight':
        this.spotlight = n.data.pointId;
        this.#emit('spotlight', n.data);
        return true;
      case 'sessionLocked':
        this.locked = n.data.locked;
        this.#emit('sessionLocked', n.data);
        return true;
      case 'recordingState':
        this.recording = n.data.recording;
        this.#emit('recordingState', n.data);
        return true;
      case 'mutedByOperator':
        this.mutedByOperator = n.data.muted;
        this.#emit('mutedByOperator', n.data);
        return true;
      case 'pointQuality':
        this.quality.clear();
        for (const q of n.data.points) {
          this.quality.set(q.pointId, q);
        }
        this.#emit('pointQuality', n.data.points);
        return true;
      default:
        return false;
    }
  }

  #upsert(point: PointInfo): void {
    const known = this.#points.has(point.id);
    this.#points.set(point.id, point);
    if (point.id === this.#me) {
      this.mutedByOperator = point.mutedByOperator;
    }
    this.#emit(known ? 'pointUpdated' : 'pointJoined', point);
  }
}
