import type { types } from 'mediasoup';
import { encodingsOf, spatialLayerOf } from '../sfu/mediaLookups.js';
import { producerStats } from '../sfu/producerStats.js';

/** Another reader's reading this recent will do (the live view's, the recorded-layer watch's). */
const READING_MAX_AGE_MS = 500;

/**
 * What each layer of a video producer costs to forward, kbit/s by [spatial][temporal],
 * from mediasoup's own count (`getStats()` `bitrateByLayer`, each temporal layer
 * including the lower ones), as a moving average that follows a rise fast and a fall
 * slowly: the plan must not count on a quiet second. A layer not flowing right now (its sender held it back,
 * or it has just started) is priced at what its encoding may carry, or a typical figure.
 */
export class FeedCosts {
  readonly #average = new Map<string, number[][]>();

  /**
   * Its costs now, having read its figures; null when it has no figures (closed).
   * `fullUpTo`: the highest spatial layer its publisher sends in full (dynacast trickles
   * those above it); null, every layer.
   */
  async of(producer: types.Producer, fullUpTo: number | null = null): Promise<number[][] | null> {
    const stats = await producerStats(producer, READING_MAX_AGE_MS);
    if (!stats) {
      return null;
    }
    const encodings = encodingsOf(producer);
    const costs = averaged(
      measure(stats, encodings),
      this.#average.get(producer.id),
      (s, t, temporalLayers) =>
        nominal(
          (producer.appData as { source?: string }).source,
          s,
          t,
          temporalLayers,
          encodings[s]?.maxBitrate,
        ),
      fullUpTo,
    );
    this.#average.set(producer.id, costs);
    return costs;
  }

  /** Forgets producers no longer there. */
  keep(producerIds: ReadonlySet<string>): void {
    for (const id of this.#average.keys()) {
      if (!producerIds.has(id)) {
        this.#average.delete(id);
      }
    }
  }
}

/**
 * The next average of each layer's cost from a reading. A layer the publisher trickles
 * (above `fullUpTo`) keeps what it cost in full, or its nominal figure: a rise is planned
 * at what the layer will carry once it is received, not at the trickle read while nobody
 * did. Priced at its trickle, a new speaker's larger picture looked as if it fitted
 * beside the old speaker's still stepping down, and the two overran a 10 Mbit/s link.
 */
export function averaged(
  measured: readonly (readonly number[])[],
  previous: readonly (readonly number[])[] | undefined,
  nominalOf: (spatial: number, temporal: number, temporalLayers: number) => number,
  fullUpTo: number | null,
): number[][] {
  return measured.map((temporal, s) =>
    temporal.map((kbps, t) => {
      const before = previous?.[s]?.[t];
      if (kbps <= 0 || (fullUpTo !== null && s > fullUpTo)) {
        return before ?? nominalOf(s, t, temporal.length);
      }
      // Up fast, down slowly: a layer priced low for a second overruns the link.
      if (before === undefined) {
        return kbps;
      }
      return kbps > before ? before * 0.3 + kbps * 0.7 : before * 0.9 + kbps * 0.1;
    }),
  );
}

/** Per encoding (its index is its spatial layer), kbit/s per temporal layer. */
function measure(
  stats: readonly types.ProducerStat[],
  encodings: readonly types.RtpEncodingParameters[],
): number[][] {
  const layers = Math.max(encodings.length, 1);
  const temporalOf = (e: types.RtpEncodingParameters | undefined): number => {
    const m = /L\d+T(\d)/.exec(e?.scalabilityMode ?? '');
    return m ? Number(m[1]) : 1;
  };
  const out: number[][] = Array.from({ length: layers }, (_, s) =>
    new Array<number>(temporalOf(encodings[s])).fill(0),
  );
  for (const stat of stats) {
    let s = spatialLayerOf(encodings, stat);
    if (s < 0) {
      s = layers === 1 ? 0 : -1;
    }
    const row = out[s];
    if (!row) {
      continue;
    }
    for (const [key, bps] of Object.entries(stat.bitrateByLayer ?? {})) {
      const t = Number(key.split('.')[1]);
      if (Number.isInteger(t) && t >= 0 && t < 8) {
        while (row.length <= t) {
          row.push(0);
        }
        row[t] = bps / 1000;
      }
    }
    if (!row.some((x) => x > 0) && stat.bitrate > 0) {
      row[row.length - 1] = stat.bitrate / 1000;
    }
  }
  return out;
}

/** Chromium's simulcast of a 720p camera, and a shared screen, before they are measured. */
const CAMERA_KBPS = [150, 500, 1500];
const SCREEN_KBPS = 1200;
/** The share of a layer's bitrate up to each of three temporal layers (VP8, L1T3). */
const TEMPORAL_SHARE = [0.4, 0.65, 1];

function nominal(
  source: string | undefined,
  spatial: number,
  temporal: number,
  temporalLayers: number,
  maxBitrate: number | undefined,
): number {
  const full =
    maxBitrate !== undefined
      ? maxBitrate / 1000
      : source === 'screen'
        ? SCREEN_KBPS
        : (CAMERA_KBPS[spatial] ?? 1500);
  const share =
    temporalLayers >= 3 ? (TEMPORAL_SHARE[temporal] ?? 1) : (temporal + 1) / temporalLayers;
  return full * share;
}
