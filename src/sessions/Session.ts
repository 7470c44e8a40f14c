/**
 * One reception session (buổi tiếp) as the live server sees it: who is present, who was
 * admitted, removed or muted by the operator, the lock and the spotlight, and the event
 * timeline. Media lives in `sfu/Room.ts`; this object holds what must outlive a worker
 * crash or a point's reconnection, and what a persistent store will keep.
 */
import type { PointInfo } from '../../protocol/signaling.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';

export type { ConnectionStatus, PointInfo } from '../../protocol/signaling.js';

export type SessionEventType =
  | 'session-opened'
  | 'point-joined'
  | 'point-reconnecting'
  | 'point-reconnected'
  | 'point-left'
  | 'point-removed'
  | 'point-muted'
  | 'point-unmuted'
  | 'session-locked'
  | 'session-unlocked'
  | 'spotlight'
  /** A point paused (or resumed) one of its own sources: its microphone, its camera. */
  | 'source-paused'
  | 'source-resumed'
  | 'media-reset'
  | 'recording-started'
  | 'recording-stopped'
  | 'recording-enabled'
  | 'recording-disabled'
  /** A run's ffmpeg or the recorder process died: the gap opens here. */
  | 'recording-interrupted'
  /** The point is recorded again; `detail.gapMs` says how long it was not. */
  | 'recording-resumed'
  /** The archive disk fell below its threshold: recording stopped cleanly. */
  | 'recording-alarm'
  /** A run's segments were joined into one verified file. */
  | 'recording-joined';

/** One entry of the observer stream that the audit log and the recorder consume. */
export interface SessionEvent {
  at: string;
  sessionId: string;
  type: SessionEventType;
  pointId?: string;
  /** The point whose operator/host did it, for controls. */
  by?: string;
  detail?: Record<string, unknown>;
}

export type SessionObserverEvents = { event: [SessionEvent]; close: [] };

export class Session {
  readonly id: string;
  readonly openedAt = new Date();
  readonly observer: EnhancedEventEmitter<SessionObserverEvents>;
  readonly timeline: SessionEvent[] = [];
  readonly points = new Map<string, PointInfo>();
  /** Points that have been in the session: a lock keeps new points out, not these. */
  readonly admitted = new Set<string>();
  readonly removed = new Set<string>();
  readonly mutedByOperator = new Set<string>();
  locked = false;
  spotlight: string | null = null;
  /** Whether the session is being recorded: every point is told, and shows it. */
  recording = false;
  #closed = false;

  constructor(id: string, onListenerError?: (event: string, error: unknown) => void) {
    this.id = id;
    this.observer = new EnhancedEventEmitter(onListenerError);
    this.record('session-opened', {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  record(
    type: SessionEventType,
    fields: { pointId?: string; by?: string; detail?: Record<string, unknown> },
  ): SessionEvent {
    const event: SessionEvent = {
      at: new Date().toISOString(),
      sessionId: this.id,
      type,
      ...fields,
    };
    this.timeline.push(event);
    this.observer.safeEmit('event', event);
    return event;
  }

  delegateCount(): number {
    let n = 0;
    for (const p of this.points.values()) {
      if (p.kind === 'delegate' && p.role !== 'observer') {
        n += 1;
      }
    }
    return n;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.observer.safeEmit('close');
  }
}
