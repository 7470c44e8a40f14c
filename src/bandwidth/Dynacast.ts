/**
 * Dynacast: a publisher sends its simulcast layers in full only up to the highest one
 * somebody receives. A layer above what any receiver (or the recorder) has needed for a
 * few seconds goes down to a trickle at the sender (the SDK sends it at a sixth of its
 * bitrate), saving most of its uplink and of the central link's ingress; it is back in
 * full at the tick that needs it. A trickle, not a stop: mediasoup lets a browser's
 * consumer take a layer only once it has flowed for 2 s, and a new speaker's picture
 * waited that long for a layer started again. The layers below the highest needed stay
 * in full: when the sender's browser holds its top layer back (a busy PC, a thin
 * uplink), mediasoup falls back to the next one down, not to the thumbnail. The lowest
 * layer is never thinned (a new receiver starts on it), nor any layer of the speaker,
 * the spotlight and recent speakers. After LiveKit's dynacast, which keeps every quality
 * up to the highest any subscriber wants (and stops the rest).
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

/** A layer nobody needed for this long goes down to a trickle (ms). */
export const STOP_AFTER_MS = 5000;
/** What a publisher was told is told again this often, in case it did not take (ms). */
export const RETELL_AFTER_MS = 10_000;

export class Dynacast {
  readonly #lastNeeded = new Map<string, number[]>();
  readonly #sent = new Map<string, { maxSpatialLayer: number; at: number }>();

  /**
   * The publishers to tell at `now`, and the highest layer each sends from now on: those
   * whose layers change, and those told long enough ago to be told again. A producer
   * first seen sends everything (as a new producer does) until a layer has gone
   * unneeded for {@link STOP_AFTER_MS}.
   */
  update(publishers: readonly PublisherNeeds[], now: number): Map<string, number> {
    const tell = new Map<string, number>();
    const seen = new Set<string>();
    for (const p of publishers) {
      seen.add(p.producerId);
      const last = this.#lastNeeded.get(p.producerId) ?? new Array<number>(p.layers).fill(now);
      const highest = p.keepAll ? p.layers - 1 : Math.max(0, ...p.needed);
      for (let s = 0; s <= Math.min(highest, p.layers - 1); s++) {
        last[s] = now;
      }
      this.#lastNeeded.set(p.producerId, last);
      let maxSpatialLayer = 0;
      for (let s = 1; s < p.layers; s++) {
        if (now - (last[s] ?? -Infinity) < STOP_AFTER_MS) {
          maxSpatialLayer = s;
        }
      }
      const before = this.#sent.get(p.producerId);
      const changed = (before?.maxSpatialLayer ?? p.layers - 1) !== maxSpatialLayer;
      if (changed || (before && now - before.at >= RETELL_AFTER_MS)) {
        tell.set(p.producerId, maxSpatialLayer);
        this.#sent.set(p.producerId, { maxSpatialLayer, at: now });
      }
    }
    for (const id of [...this.#lastNeeded.keys()]) {
      if (!seen.has(id)) {
        this.#lastNeeded.delete(id);
        this.#sent.delete(id);
      }
    }
    return tell;
  }

  /** The highest layer a producer was last told to send; null: never told (all of them). */
  maxSpatialLayer(producerId: string): number | null {
    return this.#sent.get(producerId)?.maxSpatialLayer ?? null;
  }
}
