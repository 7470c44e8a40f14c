import type { Logger } from '../../common/logger.js';

const RESTART_DEBOUNCE_MS = 300;
/** A run that could not start is tried again after 1 s, then 2, 4, … up to 10 s. */
const START_RETRY_MS = 1000;
const START_RETRY_MAX_MS = 10_000;

/**
 * When a session's recording runs are (re)started: one step at a time, in order; a
 * restart asked for several times within 300 ms (a point publishing its microphone and
 * camera a few ms apart) is done once; a run that could not start is tried again,
 * sooner then later.
 */
export class RunQueue {
  readonly #log: Logger;
  readonly #restart: (key: string) => Promise<void>;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #attempts = new Map<string, number>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #queue: Promise<void> = Promise.resolve();

  constructor(log: Logger, restart: (key: string) => Promise<void>) {
    this.#log = log;
    this.#restart = restart;
  }

  /** The run of `key` is (re)started shortly, once however often it is asked. */
  schedule(key: string): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        void this.enqueue(() => this.#restart(key));
      }, RESTART_DEBOUNCE_MS),
    );
  }

  /** Runs `task` after every step asked before it; a failing step is logged. */
  enqueue(task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'recording step failed');
    });
    return this.#queue;
  }

  /** The run of `key` could not start: it is tried again later. Returns the attempt. */
  retry(key: string): number {
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    const delay = Math.min(START_RETRY_MS * 2 ** (attempt - 1), START_RETRY_MAX_MS);
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      this.schedule(key);
    }, delay);
    this.#retries.add(timer);
    return attempt;
  }

  /** The run of `key` started: its failed attempts are forgotten. */
  started(key: string): void {
    this.#attempts.delete(key);
  }

  /** No pending (re)start or retry is carried out. */
  cancelPending(retries: boolean): void {
    for (const timer of this.#timers.values()) {
      clearTimeout(timer);
    }
    this.#timers.clear();
    if (retries) {
      this.#retries.forEach(clearTimeout);
      this.#retries.clear();
    }
  }
}
