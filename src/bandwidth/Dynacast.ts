/**
 * Dynacast: a publisher sends only the simulcast layers somebody receives. A layer that
 * no receiver (nor the recorder) has needed for a few seconds is stopped at the sender,
 * saving its uplink and the central link's ingress; it starts again at the tick that
 * needs it. The lowest layer is never stopped (a new receiver starts on it), nor any
 * layer of the speaker, the spotlight and recent speakers: the stage must not wait for
 * an encoder to wake. After LiveKit's dynacast (its `DynacastManager` keeps a quality
 * on while any subscriber wants it, and stops it a few seconds after the last one left).
 */

/** What one simulcast producer's receivers need now. */
export interface PublisherNeeds {
  producerId: string;
  /** How many spatial layers (encodings) it sends. */
  layers: number;
  /** The spatial layers somebody receives, or is about to. */
  needed: ReadonlySet<number>;
  /** Every layer on, whatever is received (the stage, a recent speaker). */
  keepAll: boolean;
}

/** A layer nobody needed for this long is stopped (ms). */
export const STOP_AFTER_MS = 5000;

export class Dynacast {
  readonly #lastNeeded = new Map<string, number[]>();
  readonly #sent = new Map<string, boolean[]>();

  /**
   * The publishers whose layers change at `now`, and which of their layers each sends
   * from now on. A producer first seen sends everything (as a new producer does) until
   * a layer has gone unneeded for {@link STOP_AFTER_MS}.
   */
  update(publishers: readonly PublisherNeeds[], now: number): Map<string, boolean[]> {
    const changes = new Map<string, boolean[]>();
    const seen = new Set<string>();
    for (const p of publishers) {
      seen.add(p.producerId);
      const last = this.#lastNeeded.get(p.producerId) ?? new Array<number>(p.layers).fill(now);
      for (let s = 0; s < p.layers; s++) {
        if (s === 0 || p.keepAll || p.needed.has(s)) {
          last[s] = now;
        }
      }
      this.#lastNeeded.set(p.producerId, last);
      const active = last.map((at) => now - at < STOP_AFTER_MS);
      const before = this.#sent.get(p.producerId) ?? new Array<boolean>(p.layers).fill(true);
      if (active.some((a, s) => a !== before[s])) {
        changes.set(p.producerId, active);
      }
      this.#sent.set(p.producerId, active);
    }
    for (const id of [...this.#lastNeeded.keys()]) {
      if (!seen.has(id)) {
        this.#lastNeeded.delete(id);
        this.#sent.delete(id);
      }
    }
    return changes;
  }

  /** Which layers a producer was last told to send; null: all (never told). */
  sending(producerId: string): readonly boolean[] | null {
    return this.#sent.get(producerId) ?? null;
  }
}
