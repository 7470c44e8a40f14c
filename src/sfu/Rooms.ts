import type { Logger } from '../logger.js';
import type { SessionStore } from '../sessions/SessionStore.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { joinArchiveRuns } from '../../recorder/finalizeArchive.js';
import type { JoinedRun } from '../../recorder/joinSegments.js';
import { attachAuditLog } from '../../recorder/sessionAudit.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import { SessionRecorder } from '../recording/SessionRecorder.js';
import { renderSessionComposite } from '../recording/sessionComposite.js';
import { Room } from './Room.js';

export interface RoomsOptions {
  pool: WorkerPool;
  /** Each session's audit log goes to `<dataDir>/archive/<sessionId>/audit.jsonl`. */
  dataDir: string;
  sessions: SessionStore;
  logger: Logger;
  maxDelegatePoints: number;
  reconnectGraceMs: number;
  /** Records every session's points when given. */
  recorder: {
    supervisor: RecorderSupervisor;
    segmentSeconds: number;
    autoStart: boolean;
    /** Render the composite record when a session ends. */
    composite: boolean;
    disk: DiskMonitor | null;
  } | null;
}

/** The live rooms, one per session with points present; made on the first join. */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #recorders = new Map<Room, SessionRecorder | null>();
  /** Sessions whose segments are being joined: a new sitting waits for that. */
  readonly #finishing = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: RoomsOptions) {
    this.#options = options;
  }

  /** Concurrent first joins of one session share one room (one router). */
  roomFor(sessionId: string): Promise<Room> {
    let room = this.#rooms.get(sessionId);
    if (!room) {
      const finishing = this.#finishing.get(sessionId) ?? Promise.resolve();
      room = finishing.then(() => {
        const session = this.#options.sessions.open(sessionId);
        attachAuditLog(session, this.#options.dataDir, this.#options.logger);
        return Room.create({ ...this.#options, session });
      });
      this.#rooms.set(sessionId, room);
      room.then(
        (r) => {
          const { recorder } = this.#options;
          const recording = recorder
            ? new SessionRecorder(r, recorder.supervisor, {
                dataDir: this.#options.dataDir,
                segmentSeconds: recorder.segmentSeconds,
                autoStart: recorder.autoStart,
                logger: this.#options.logger,
                disk: recorder.disk,
              })
            : null;
          this.#recorders.set(r, recording);
          r.once('@empty', () => {
            // Everyone has left: the session has ended. Finish the recordings, free the
            // router, then join each run's segments and render the composite.
            void (recording?.close() ?? Promise.resolve())
              .finally(() => r.close())
              .then(() => (recording ? this.#finish(sessionId, recording) : undefined));
          });
          r.once('@close', () => {
            this.#recorders.delete(r);
            this.#rooms.delete(sessionId);
            r.session.close();
          });
          if (this.#closed) {
            r.close();
          }
        },
        () => this.#rooms.delete(sessionId),
      );
    }
    return room;
  }

  get size(): number {
    return this.#rooms.size;
  }

  async list(): Promise<Room[]> {
    const settled = await Promise.allSettled(this.#rooms.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  #finish(sessionId: string, recording: SessionRecorder): Promise<void> {
    const log = this.#options.logger.child({ sessionId });
    const { supervisor } = this.#options.recorder ?? {};
    const joining = joinArchiveRuns(recording.archiveDir, async (segments, output) => {
      if (!supervisor) {
        throw new Error('no recorder');
      }
      return (await supervisor.request(
        { type: 'joinRun', segments, output },
        30 * 60_000,
      )) as JoinedRun;
    })
      .then((result) => log.info(result, 'session ended: recordings joined'))
      .catch((err: unknown) => log.error({ err }, 'finalizing the recordings failed'))
      .finally(() => this.#finishing.delete(sessionId));
    this.#finishing.set(sessionId, joining);
    const recorder = this.#options.recorder;
    if (recorder?.composite && !this.#closed) {
      // In the background: a shutdown does not wait for it (the recorder aborts it, and
      // `diemcau recordings finalize` renders it again).
      void joining
        .then(() =>
          this.#closed
            ? undefined
            : renderSessionComposite(recorder.supervisor, recording.archiveDir, log),
        )
        .catch((err: unknown) => log.error({ err }, 'composite record failed'));
    }
    return joining;
  }

  /**
   * Finishes every recording (last segments hashed), then closes the rooms. Segments
   * are not joined here (a long session's join outlasts a shutdown): `diemcau
   * recordings finalize` does it later, and the archive verifies as it is.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const rooms = await this.list();
    await Promise.all(rooms.map((room) => this.#recorders.get(room)?.close() ?? Promise.resolve()));
    for (const room of rooms) {
      room.close();
    }
  }
}
