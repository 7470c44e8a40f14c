/**
 * The falls a tick sent while it held rises back (see `SessionBandwidth`'s
 * `#fallsFirst`): a consumer changes layer only at a keyframe, so until each lowered
 * consumer forwards its lower layer the old one still flows, and a rise let through now
 * would carry both. Any tick meanwhile (the next second's, or one a voice or a new
 * picture asked for) holds the rises too; once the falls have switched, or have had
 * their time, the rises go.
 */
import type { Layers } from './allocate.js';
import { compare } from './LayerSmoother.js';

/** What is read of a lowered consumer: mediasoup's `Consumer` has all of it. */
export interface Falling {
  readonly closed: boolean;
  readonly paused: boolean;
  readonly currentLayers?: { spatialLayer: number; temporalLayer?: number } | undefined;
}

export class PendingFalls {
  readonly #waitMs: number;
  #falls: { consumer: Falling; to: Layers | null }[] = [];
  #until = 0;

  /** `waitMs`: how long rises wait for falls at the most, from when they were sent. */
  constructor(waitMs: number) {
    this.#waitMs = waitMs;
  }

  /** Falls just sent: the rises wait for them (and for any sent before). */
  sent(falls: readonly { consumer: Falling; to: Layers | null }[], now: number): void {
    if (falls.length > 0) {
      this.#falls = [...this.#falls, ...falls];
      this.#until = now + this.#waitMs;
    }
  }

  /** Whether every fall has switched, or had its time: then they are forgotten. */
  switched(now: number): boolean {
    const done =
      now >= this.#until ||
      this.#falls.every(({ consumer, to }) => {
        const current = consumer.currentLayers;
        return (
          consumer.closed ||
          consumer.paused ||
          current === undefined ||
          compare({ spatial: current.spatialLayer, temporal: current.temporalLayer ?? 0 }, to) <= 0
        );
      });
    if (done) {
      this.#falls = [];
      this.#until = 0;
    }
    return done;
  }
}
