/**
 * The live sessions, one per session with points present: opened on the first join of
 * a session the store knows (or, for an ad-hoc credential, that it opens), and ended
 * when its last point has gone (its recordings then finished and its archive joined).
 */
import type { Logger } from '../../common/logger.js';
import type { ArchiveFinisher } from '../recording/ArchiveFinisher.js';
import { LiveSession, type LiveSessionOptions } from './LiveSession.js';
import type { SessionStore } from './SessionStore.js';

export interface LiveSessionsOptions extends LiveSessionOptions {
  store: SessionStore;
  /** Joins and renders each ended session's archive (when the server records). */
  finisher: ArchiveFinisher | null;
}

export class LiveSessions {
  readonly #o: LiveSessionsOptions;
  readonly #log: Logger;
  readonly #live = new Map<string, Promise<LiveSession>>();
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
      live = finishing.then(() => {
        if (!this.#o.store.get(sessionId)) {
          this.#o.store.openAdHoc(sessionId);
        }
        return LiveSession.open(sessionId, this.#o);
      });
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
