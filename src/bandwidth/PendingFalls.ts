/**
 * The falls the governor sent that may not have switched yet (see `SessionBandwidth`'s
 * `#fallsFirst`): a consumer changes layer only at a keyframe, so until each lowered
 * consumer forwards its lower layer the old one still flows, and a rise let through now
 * would carry both. A rise goes at once when the link has room for it beside what the
 * falls still carry; else it waits until they have switched, or have had their time.
 */
import type { Layers } from './allocate.js';
import { compare } from './LayerSmoother.js';

/** What is read of a lowered consumer: mediasoup's `Consumer` has all of it. */
export interface Falling {
  readonly producerId: string;
  readonly closed: boolean;
  readonly paused: boolean;
  readonly currentLayers?: { spatialLayer: number; temporalLayer?: number } | undefined;
}

export interface Fall {
  consumer: Falling;
  from: Layers | null;
  to: Layers | null;
}

export class PendingFalls {
  readonly #waitMs: number;
  #falls: Fall[] = [];
  #until = 0;

  /** `waitMs`: how long rises wait for falls at the most, from when they were sent. */
  constructor(waitMs: number) {
    this.#waitMs = waitMs;
  }

  /** Falls just sent: the rises wait for them (and for any sent before). */
  sent(falls: readonly Fall[], now: number): void {
    if (falls.length > 0) {
      this.#falls = [...this.#falls, ...falls];
      this.#until = now + this.#waitMs;
    }
  }

  /**
   * What the falls not switched yet still send beyond what they were lowered to
   * (kbit/s, by `cost`); 0 once they have had their time.
   */
  carriedKbps(now: number, cost: (producerId: string, layers: Layers | null) => number): number {
    if (this.switched(now)) {
      return 0;
    }
    let kbps = 0;
    for (const { consumer, from, to } of this.#falls) {
      if (!down(consumer, to)) {
        kbps += Math.max(0, cost(consumer.producerId, from) - cost(consumer.producerId, to));
      }
    }
    return kbps;
  }

  /** Whether every fall has switched, or had its time: then they are forgotten. */
  switched(now: number): boolean {
    const done = now >= this.#until || this.#falls.every(({ consumer, to }) => down(consumer, to));
    if (done) {
      this.#falls = [];
      this.#until = 0;
    }
    return done;
  }
}

/** Whether a lowered consumer forwards its lower layer (or nothing) now. */
function down(consumer: Falling, to: Layers | null): boolean {
  const current = consumer.currentLayers;
  return (
    consumer.closed ||
    consumer.paused ||
    current === undefined ||
    compare({ spatial: current.spatialLayer, temporal: current.temporalLayer ?? 0 }, to) <= 0
  );
}
