import type { Logger } from '../logger.js';
import type { SessionStore } from '../sessions/SessionStore.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { attachAuditLog } from '../../recorder/sessionAudit.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import { SessionRecorder } from '../recording/SessionRecorder.js';
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
  recorder: { supervisor: RecorderSupervisor; segmentSeconds: number; autoStart: boolean } | null;
}

/** The live rooms, one per session with points present; made on the first join. */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #recorders = new Map<Room, SessionRecorder | null>();
  #closed = false;

  constructor(options: RoomsOptions) {
    this.#options = options;
  }

  /** Concurrent first joins of one session share one room (one router). */
  roomFor(sessionId: string): Promise<Room> {
    let room = this.#rooms.get(sessionId);
    if (!room) {
      const session = this.#options.sessions.open(sessionId);
      attachAuditLog(session, this.#options.dataDir, this.#options.logger);
      room = Room.create({ ...this.#options, session });
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
              })
            : null;
          this.#recorders.set(r, recording);
          r.once('@empty', () => {
            // Everyone has left: finish the recordings, then free the router.
            void (recording?.close() ?? Promise.resolve()).finally(() => r.close());
          });
          r.once('@close', () => {
            this.#recorders.delete(r);
            this.#rooms.delete(sessionId);
            session.close();
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

  /** Finishes every recording (last segments hashed), then closes the rooms. */
  async close(): Promise<void> {
    this.#closed = true;
    const rooms = await this.list();
    await Promise.all(rooms.map((room) => this.#recorders.get(room)?.close() ?? Promise.resolve()));
    for (const room of rooms) {
      room.close();
    }
  }
}
