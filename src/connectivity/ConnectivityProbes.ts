/**
 * The connectivity tests running now: one at a time per point (a test is heavy: its
 * camera comes back several times), a few at once on the server, each in a room of its
 * own, all closed with the server.
 */
import type { VerifiedToken } from '../auth/TokenService.js';
import { errors } from '../../common/errors.js';
import { ConnectivityProbe, type ProbeDeps } from './ConnectivityProbe.js';

export type ProbesDeps = Omit<ProbeDeps, 'onClose'> & {
  /** Tests that may run at once on the server. */
  maxConcurrent: number;
};

export class ConnectivityProbes {
  readonly #deps: ProbesDeps;
  readonly #running = new Map<string, ConnectivityProbe>();
  readonly #reserved = new Set<string>();
  #closed = false;

  constructor(deps: ProbesDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#running.size + this.#reserved.size;
  }

  async open(claims: VerifiedToken): Promise<ConnectivityProbe> {
    if (this.#closed) {
      throw new errors.UNAVAILABLE('the server is stopping');
    }
    const key = `${claims.sessionId}/${claims.pointId}`;
    if (this.#running.has(key) || this.#reserved.has(key)) {
      throw new errors.TOO_MANY_REQUESTS('this point is running a connectivity test already');
    }
    if (this.#running.size + this.#reserved.size >= this.#deps.maxConcurrent) {
      throw new errors.TOO_MANY_REQUESTS(
        `${this.#deps.maxConcurrent} connectivity tests are running; try again in a minute`,
      );
    }
    // Held before the room is made: two sockets of one point cannot both pass the checks.
    this.#reserved.add(key);
    try {
      const probe = await ConnectivityProbe.open(claims, {
        ...this.#deps,
        onClose: (p) => {
          if (this.#running.get(key) === p) {
            this.#running.delete(key);
          }
        },
      });
      this.#running.set(key, probe);
      if (this.#closed) {
        probe.close();
      }
      return probe;
    } finally {
      this.#reserved.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    for (const probe of [...this.#running.values()]) {
      probe.close();
    }
  }
}
