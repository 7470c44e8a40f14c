import type { Logger } from '../logger.js';
import type { SessionStore } from '../sessions/SessionStore.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { attachAuditLog } from '../../recorder/sessionAudit.js';
import { Room } from './Room.js';

export interface RoomsOptions {
  pool: WorkerPool;
  /** Each session's audit log goes to `<dataDir>/archive/<sessionId>/audit.jsonl`. */
  dataDir: string;
  sessions: SessionStore;
  logger: Logger;
  maxDelegatePoints: number;
  reconnectGraceMs: number;
}

/** The live rooms, one per session with points present; made on the first join. */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #rooms = new Map<string, Promise<Room>>();
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
          r.once('@empty', () => {
            // Everyone has left: free the router; the next join starts afresh.
            r.close();
          });
          r.once('@close', () => {
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

  async close(): Promise<void> {
    this.#closed = true;
    for (const room of await this.list()) {
      room.close();
    }
  }
}
