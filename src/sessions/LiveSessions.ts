/**
 * The live sessions, one per session with points present: opened on the first join
 * (its credential checked against the store first, by the signaling), and its sitting
 * over when its last point has gone (its recordings then finished and its archive
 * joined). Ending a session (its state `ended`) sends every point away.
 */
import type { Logger } from '../../common/logger.js';
import type { ArchiveFinisher } from '../recording/ArchiveFinisher.js';
import { LiveSession, type LiveSessionOptions } from './LiveSession.js';
import { CLOSE_CODES } from '../../protocol/signaling.js';

export interface LiveSessionsOptions extends LiveSessionOptions {
  /** Joins and renders each ended session's archive (when the server records). */
  finisher: ArchiveFinisher | null;
}

export class LiveSessions {
  readonly #o: LiveSessionsOptions;
  readonly #log: Logger;
  readonly #live = new Map<string, Promise<LiveSession>>();
  /** The sessions whose opening has finished (read without waiting for the others). */
  readonly #opened = new Map<string, LiveSession>();
  #closed = false;

  constructor(options: LiveSessionsOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Concurrent first joins of one session share one live session (one router). */
  open(sessionId: string): Promise<LiveSession> {
    let live = this.#live.get(sessionId);
    if (!live) {
      // A new sitting of a session whose last one is still being joined waits for it.
      const finishing = this.#o.finisher?.joined(sessionId) ?? Promise.resolve();
      live = finishing.then(() => LiveSession.open(sessionId, this.#o));
      this.#live.set(sessionId, live);
      live.then(
        (l) => this.#follow(l),
        () => this.#live.delete(sessionId),
      );
    }
    return live;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Whether a session has points connected (or is being opened). */
  has(sessionId: string): boolean {
    return this.#live.has(sessionId);
  }

  /** A point's connection cut (its credential was revoked): it may not reconnect with it. */
  async cut(sessionId: string, pointId: string, reason: string): Promise<void> {
    const live = this.#live.has(sessionId) ? await this.open(sessionId) : null;
    live?.room.dismiss(pointId, CLOSE_CODES.authFailed, reason);
  }

  /** The session has ended (or was cancelled): every point is told and sent away. */
  async end(sessionId: string, by: string): Promise<void> {
    const live = this.#live.has(sessionId) ? await this.open(sessionId) : null;
    if (live) {
      live.room.broadcast('sessionEnded', { by });
      // A moment for what is in flight (the chair's own request to end it) to be answered.
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const pointId of [...live.room.peers.keys()]) {
        live.room.dismiss(pointId, CLOSE_CODES.ended, 'the session has ended');
      }
    }
  }

  /** The live sessions open now, without waiting for one being opened (or joined first). */
  opened(): LiveSession[] {
    return [...this.#opened.values()].filter((l) => !l.closed);
  }

  async list(): Promise<LiveSession[]> {
    const settled = await Promise.allSettled(this.#live.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * Finishes every recording (last segments hashed), then closes the sessions. Segments
   * are not joined here (a long session's join outlasts a shutdown): the next start
   * does it, or `diemcau recordings finalize`, and the archive verifies as it is.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#o.finisher?.close();
    const live = await this.list();
    await Promise.all(live.map((l) => l.close()));
  }

  #follow(live: LiveSession): void {
    const { id } = live;
    this.#opened.set(id, live);
    live.room.once('@empty', () => {
      // Everyone has left: this sitting is over. Finish the recordings and free the
      // router, then join each run's segments and render the composite.
      void live.close().then(() => {
        if (live.recorder && !this.#closed) {
          return this.#o.finisher?.finish(id);
        }
        return undefined;
      });
    });
    live.room.once('@close', () => {
      if (this.#opened.get(id) === live) {
        this.#opened.delete(id);
      }
      if (this.#live.get(id) !== undefined) {
        this.#live.delete(id);
      }
      this.#log.debug({ sessionId: id }, 'live session closed');
    });
    if (this.#closed) {
      void live.close();
    }
  }
}
