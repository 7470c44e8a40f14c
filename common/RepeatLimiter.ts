/**
 * Keeps a log readable when one message repeats thousands of times (mediasoup's worker
 * warns once per packet it cannot buffer, say): the first few of a kind in each window
 * are written, the rest counted, and one line at the window's end says how many were
 * held back. Messages of a kind differ only in their numbers.
 */
export interface RepeatLimiterOptions {
  /** Messages of one kind written per window. */
  perWindow: number;
  windowMs: number;
  now?: () => number;
}

interface Kind {
  windowStart: number;
  written: number;
  held: number;
  sample: string;
}

export class RepeatLimiter {
  readonly #write: (message: string, held?: { count: number; seconds: number }) => void;
  readonly #o: Required<RepeatLimiterOptions>;
  readonly #kinds = new Map<string, Kind>();

  constructor(
    write: (message: string, held?: { count: number; seconds: number }) => void,
    options: RepeatLimiterOptions,
  ) {
    this.#write = write;
    this.#o = { now: Date.now, ...options };
  }

  push(message: string): void {
    const now = this.#o.now();
    const key = message.replace(/\d+/g, '#');
    let kind = this.#kinds.get(key);
    if (kind && now - kind.windowStart >= this.#o.windowMs) {
      this.#report(kind, now);
      kind = undefined;
    }
    if (!kind) {
      kind = { windowStart: now, written: 0, held: 0, sample: message };
      this.#kinds.set(key, kind);
    }
    if (kind.written < this.#o.perWindow) {
      kind.written += 1;
      this.#write(message);
    } else {
      kind.held += 1;
      kind.sample = message;
    }
  }

  /** Writes what was held back in windows that have ended (and, with `all`, in every one). */
  flush(all = false): void {
    const now = this.#o.now();
    for (const [key, kind] of this.#kinds) {
      if (all || now - kind.windowStart >= this.#o.windowMs) {
        this.#report(kind, now);
        this.#kinds.delete(key);
      }
    }
  }

  #report(kind: Kind, now: number): void {
    if (kind.held > 0) {
      this.#write(kind.sample, {
        count: kind.held,
        seconds: Math.round((now - kind.windowStart) / 1000),
      });
    }
  }
}
