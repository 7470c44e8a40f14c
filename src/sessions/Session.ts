/**
 * One reception session (buổi tiếp) as the live server sees it: who is present, who was
 * admitted, removed or muted, the lock, the spotlight, whether it is recorded, and the
 * event timeline. Each rule of the session is an intent method here that checks, changes
 * the state and records its event in one step, for whoever acts (a point's chair, an
 * operator through the API): the rules are tested without a media server. Media lives
 * in `sfu/` (RoomMedia); this object holds what must outlive a worker crash or a point's
 * reconnection.
 */
import type { PointInfo, PointKind, Role } from '../../protocol/signaling.js';
import { errors } from '../../common/errors.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';
import { canControl } from '../auth/roles.js';

export type { ConnectionStatus, PointInfo } from '../../protocol/signaling.js';

/** Who does something to the session: a point's chair, an operator, the recorder. */
export interface Actor {
  /** What the event records as `by`: a point id, or `operator:<name>`. */
  readonly by: string;
  readonly role: Role;
}

/** A point as its credential names it. */
export interface PointClaims {
  pointId: string;
  pointName: string;
  pointKind: PointKind;
  role: Role;
}

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
  /** A point's clerk acknowledged, before joining, that the session is recorded. */
  | 'recording-acknowledged'
  /** A run's segments were joined into one verified file. */
  | 'recording-joined';

/** One entry of the observer stream that the audit log and the recorder consume. */
export interface SessionEvent {
  at: string;
  sessionId: string;
  type: SessionEventType;
  pointId?: string;
  /** Who did it, for controls: the chair's point, or `operator:<name>`. */
  by?: string;
  detail?: Record<string, unknown>;
}

export type SessionObserverEvents = { event: [SessionEvent]; close: [] };

export interface SessionOptions {
  /** Delegate points (observers aside) that may be present at once. */
  maxDelegatePoints: number;
  onListenerError?: (event: string, error: unknown) => void;
}

/** How a point came in: new to the session, back on a new connection, or again on its own. */
export type Arrival = 'joined' | 'reconnected' | 'rejoined';

export class Session {
  readonly id: string;
  readonly openedAt = new Date();
  readonly observer: EnhancedEventEmitter<SessionObserverEvents>;
  readonly timeline: SessionEvent[] = [];
  readonly #maxDelegatePoints: number;
  readonly #points = new Map<string, PointInfo>();
  /** Points that have been in the session: a lock keeps new points out, not these. */
  readonly #admitted = new Set<string>();
  readonly #removed = new Set<string>();
  readonly #muted = new Set<string>();
  #locked = false;
  #spotlight: string | null = null;
  #recording = false;
  #closed = false;

  constructor(id: string, options: SessionOptions) {
    this.id = id;
    this.#maxDelegatePoints = options.maxDelegatePoints;
    this.observer = new EnhancedEventEmitter(options.onListenerError);
    this.record('session-opened', {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The points present now (connected, or reconnecting within their grace). */
  get points(): ReadonlyMap<string, PointInfo> {
    return this.#points;
  }

  get locked(): boolean {
    return this.#locked;
  }

  get spotlight(): string | null {
    return this.#spotlight;
  }

  /** Whether the session is being recorded: every point is told, and shows it. */
  get recording(): boolean {
    return this.#recording;
  }

  isMuted(pointId: string): boolean {
    return this.#muted.has(pointId);
  }

  /**
   * Whether this point may come in now: refused if it was removed, or, for a point new
   * to the session, if the session is locked or has its delegate points already.
   */
  checkAdmission(claims: PointClaims): void {
    const { pointId } = claims;
    if (this.#removed.has(pointId)) {
      throw new errors.POINT_REMOVED();
    }
    if (this.#admitted.has(pointId) || this.#points.has(pointId)) {
      return;
    }
    if (this.#locked) {
      throw new errors.SESSION_LOCKED();
    }
    const counts = claims.pointKind === 'delegate' && claims.role !== 'observer';
    if (counts && this.#delegateCount() >= this.#maxDelegatePoints) {
      throw new errors.SESSION_FULL(this.#maxDelegatePoints);
    }
  }

  /**
   * The point is in: checked, present and connected. `newConnection`: it came on a
   * connection other than the one it had (a reconnection, when it was present).
   */
  admit(claims: PointClaims, newConnection: boolean): { point: PointInfo; arrival: Arrival } {
    this.checkAdmission(claims);
    const { pointId } = claims;
    const wasPresent = this.#points.has(pointId);
    const point: PointInfo = {
      id: pointId,
      name: claims.pointName,
      kind: claims.pointKind,
      role: claims.role,
      connection: 'connected',
      mutedByOperator: this.#muted.has(pointId),
    };
    this.#points.set(pointId, point);
    this.#admitted.add(pointId);
    if (!wasPresent) {
      this.record('point-joined', {
        pointId,
        detail: { name: point.name, kind: point.kind, role: point.role },
      });
      return { point, arrival: 'joined' };
    }
    if (newConnection) {
      this.record('point-reconnected', { pointId });
      return { point, arrival: 'reconnected' };
    }
    return { point, arrival: 'rejoined' };
  }

  /** Its connection dropped: its place is kept (the room times the grace). */
  reconnecting(pointId: string): PointInfo | undefined {
    const point = this.#points.get(pointId);
    if (point) {
      point.connection = 'reconnecting';
      this.record('point-reconnecting', { pointId });
    }
    return point;
  }

  /** The point is gone; returns whether it held the spotlight (which is then cleared). */
  left(pointId: string, reason: 'left' | 'connection-lost' | 'removed'): boolean {
    this.#points.delete(pointId);
    this.record('point-left', { pointId, detail: { reason } });
    if (this.#spotlight === pointId) {
      this.#spotlight = null;
      return true;
    }
    return false;
  }

  /** Removed for good: it cannot come back. The room then cuts its connection. */
  remove(pointId: string, actor: Actor): void {
    this.#requireControl(actor);
    this.#point(pointId);
    if (pointId === actor.by) {
      throw new errors.FORBIDDEN('a point cannot remove itself; leave instead');
    }
    this.#removed.add(pointId);
    this.record('point-removed', { pointId, by: actor.by });
  }

  /** The chair mutes (or unmutes) a point's microphone; only the chair can undo it. */
  setMuted(pointId: string, muted: boolean, actor: Actor): PointInfo {
    this.#requireControl(actor);
    const point = this.#point(pointId);
    if (muted) {
      this.#muted.add(pointId);
    } else {
      this.#muted.delete(pointId);
    }
    point.mutedByOperator = muted;
    this.record(muted ? 'point-muted' : 'point-unmuted', { pointId, by: actor.by });
    return point;
  }

  /** A locked session admits no new points; those admitted before may come back. */
  setLocked(locked: boolean, actor: Actor): void {
    this.#requireControl(actor);
    this.#locked = locked;
    this.record(locked ? 'session-locked' : 'session-unlocked', { by: actor.by });
  }

  setSpotlight(pointId: string | null, actor: Actor): void {
    this.#requireControl(actor);
    if (pointId !== null) {
      this.#point(pointId);
    }
    this.#spotlight = pointId;
    this.record('spotlight', { by: actor.by, detail: { pointId } });
  }

  /**
   * Recording switched on or off (by a chair, by `recorder` on a disk alarm, or at the
   * start); returns whether it changed. The recorder does the recording itself.
   */
  setRecording(enabled: boolean, by: string | null, detail?: Record<string, unknown>): boolean {
    if (this.#recording === enabled) {
      return false;
    }
    this.#recording = enabled;
    this.record(enabled ? 'recording-enabled' : 'recording-disabled', {
      ...(by !== null ? { by } : {}),
      ...(detail ? { detail } : {}),
    });
    return true;
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

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.observer.safeEmit('close');
  }

  #delegateCount(): number {
    let n = 0;
    for (const p of this.#points.values()) {
      if (p.kind === 'delegate' && p.role !== 'observer') {
        n += 1;
      }
    }
    return n;
  }

  #requireControl(actor: Actor): void {
    if (!canControl(actor.role)) {
      throw new errors.FORBIDDEN('only the operator or the host may use session controls');
    }
  }

  #point(pointId: string): PointInfo {
    const point = this.#points.get(pointId);
    if (!point) {
      throw new errors.POINT_NOT_FOUND(pointId);
    }
    return point;
  }
}
