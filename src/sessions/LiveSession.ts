/**
 * A session while points are connected to it: its state and rules (Session), its room
 * and media (Room), its recorder (SessionRecorder, when the server records) and its
 * audit log, owned together and closed together. The chair's and the operator's
 * controls act on it, for an actor.
 */
import type { Logger } from '../../common/logger.js';
import type { ManifestPlan } from '../../archive/manifest.js';
import { errors } from '../../common/errors.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { canControl } from '../auth/roles.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import type { RecordingProblems } from '../recording/RecordingProblems.js';
import { SessionRecorder } from '../recording/SessionRecorder.js';
import { Room } from '../sfu/Room.js';
import { type Actor, Session } from './Session.js';
import { SessionAudit } from './SessionAudit.js';

export interface LiveSessionOptions {
  pool: WorkerPool;
  dataDir: string;
  logger: Logger;
  maxDelegatePoints: number;
  reconnectGraceMs: number;
  /** The chair ends the session (its stored state becomes `ended`). */
  onEnd?: (sessionId: string, by: string) => void;
  /** What a session was planned as (for its archive's manifest), if it was. */
  describe?: (sessionId: string) => ManifestPlan | undefined;
  /** Records every point when given. */
  recorder: {
    supervisor: RecorderSupervisor;
    segmentSeconds: number;
    autoStart: boolean;
    disk: DiskMonitor | null;
    problems: RecordingProblems;
  } | null;
}

export class LiveSession {
  readonly session: Session;
  readonly room: Room;
  readonly recorder: SessionRecorder | null;
  readonly #audit: SessionAudit;
  readonly #unsubscribe: () => void;
  readonly #onEnd: LiveSessionOptions['onEnd'];
  #closing: Promise<void> | null = null;

  static async open(id: string, options: LiveSessionOptions): Promise<LiveSession> {
    const { logger } = options;
    const session = new Session(id, {
      maxDelegatePoints: options.maxDelegatePoints,
      onListenerError: (event, err) =>
        logger.error({ err, event, sessionId: id }, 'session observer listener failed'),
    });
    const audit = new SessionAudit(session, options.dataDir, logger);
    let room: Room;
    try {
      room = await Room.create({
        session,
        pool: options.pool,
        logger,
        reconnectGraceMs: options.reconnectGraceMs,
      });
    } catch (err) {
      session.close();
      audit.close();
      throw err;
    }
    return new LiveSession(session, room, audit, options);
  }

  private constructor(
    session: Session,
    room: Room,
    audit: SessionAudit,
    options: LiveSessionOptions,
  ) {
    this.session = session;
    this.room = room;
    this.#audit = audit;
    this.#onEnd = options.onEnd;
    const { recorder } = options;
    this.recorder = recorder
      ? new SessionRecorder(room, recorder.supervisor, {
          dataDir: options.dataDir,
          segmentSeconds: recorder.segmentSeconds,
          autoStart: recorder.autoStart,
          logger: options.logger,
          disk: recorder.disk,
          problems: recorder.problems,
          plan: () => options.describe?.(session.id),
        })
      : null;
    // Recording problems of this session are told to its chairs as they happen.
    this.#unsubscribe =
      recorder?.problems.subscribe('problem', (p) => {
        if (p.sessionId === session.id) {
          room.notifyChairs('recordingProblem', {
            kind: p.kind,
            pointId: p.pointId ?? null,
            detail: p.detail,
            at: p.at,
          });
        }
      }) ?? (() => undefined);
  }

  get id(): string {
    return this.session.id;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** The chair's (or an operator's) recording switch. */
  async setRecording(actor: Actor, enabled: boolean): Promise<void> {
    if (!canControl(actor.role)) {
      throw new errors.FORBIDDEN('only the operator or the host may use session controls');
    }
    if (!this.recorder) {
      throw new errors.UNAVAILABLE('this server does not record');
    }
    await this.recorder.setEnabled(enabled, actor.by);
  }

  /** The chair ends the session: stored as ended, and every point sent away. */
  end(actor: Actor): void {
    if (!canControl(actor.role)) {
      throw new errors.FORBIDDEN('only the operator or the host may end the session');
    }
    if (!this.#onEnd) {
      throw new errors.UNAVAILABLE('this server cannot end sessions');
    }
    this.#onEnd(this.session.id, actor.by);
  }

  /**
   * Stops the recordings (their last segments hashed in), then closes the room and the
   * session and its audit log. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.recorder?.close();
      } finally {
        this.#unsubscribe();
        this.room.close();
        this.session.close();
        this.#audit.close();
      }
    })();
    return this.#closing;
  }
}
