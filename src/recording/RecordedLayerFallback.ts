/**
 * A recorded camera whose simulcast layer stops at its sender is taken from the highest
 * layer still arriving, at once. A browser stops a layer without a word to the SFU: a
 * busy PC drops its top layer, a thin uplink its middle one, dynacast's "stop" may
 * cross a recording run that is just starting. mediasoup notices a silent layer only
 * after 1.5 s of RTP inactivity, then asks the next one down for a keyframe; until
 * then it forwards nothing, a hole of two seconds or more in the legal record. Here a
 * layer silent for half a second while one below it flows is left: the consumer
 * prefers that one, whose keyframe is asked for at once. When a layer above flows
 * again the consumer prefers what it did before; mediasoup moves up on that layer's
 * keyframe and forwards the lower one until then, so the way back has no hole.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { encodingsOf, spatialLayerOf } from '../sfu/mediaLookups.js';
import { producerStats } from '../sfu/producerStats.js';

export interface RecordedVideo {
  consumer: types.Consumer;
  producer: types.Producer;
}

/**
 * How often the producers' layers are read (ms). A layer that brought nothing since the
 * reading before is silent; the reading just after a stop still sees its last bytes, so
 * the stop is seen one to two readings late. Timed instead from the last reading that saw
 * it grow (read every quarter second, left after half a second), it was seen as late, for
 * a third more requests: each is a round trip through the worker, for every recorded
 * camera. Read every half second, the recording's hole reached a second (0.98 s in the
 * test).
 */
const WATCH_MS = 333;
/**
 * A layer that sent nothing for this long, while one below did, is left (ms): a reading
 * interval, less what a timer's lateness takes off it. A camera's layer brings packets
 * every few tens of milliseconds, so no layer that flows is this quiet.
 */
export const SILENT_MS = 250;
/**
 * How old a recorded camera's stats reading can be, at most: others who read the same
 * producers (the keyframe watch, the governor's layer costs) take one this old, and ask
 * the worker no more than this does.
 */
export const RECORDED_READING_MAX_AGE_MS = WATCH_MS + 100;

interface LayerFlow {
  bytes: number[];
  /** When each layer last brought bytes (the first reading counts as bringing). */
  grewAt: number[];
}

export class RecordedLayerFallback {
  readonly #recorded: () => RecordedVideo[];
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  readonly #flows = new Map<string, LayerFlow>();
  /** Consumers taken down a layer, and what they preferred before. */
  readonly #before = new Map<string, types.ConsumerLayers>();
  #busy = false;

  constructor(recorded: () => RecordedVideo[], log: Logger, watchMs = WATCH_MS) {
    this.#recorded = recorded;
    this.#log = log;
    this.#timer = setInterval(() => {
      if (this.#busy) {
        return;
      }
      this.#busy = true;
      this.#watch()
        .catch((err: unknown) => this.#log.warn({ err }, 'watching recorded layers failed'))
        .finally(() => {
          this.#busy = false;
        });
    }, watchMs);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#flows.clear();
    this.#before.clear();
  }

  async #watch(): Promise<void> {
    const now = Date.now();
    const videos = this.#recorded().filter(
      ({ consumer, producer }) =>
        consumer.type === 'simulcast' && !consumer.closed && !producer.closed,
    );
    const read = new Map<string, LayerFlow | null>();
    for (const { producer } of videos) {
      if (!read.has(producer.id)) {
        read.set(producer.id, await this.#read(producer, now));
      }
    }
    for (const id of [...this.#flows.keys()]) {
      if (!read.has(id)) {
        this.#flows.delete(id);
      }
    }
    const live = new Set(videos.map((v) => v.consumer.id));
    for (const id of [...this.#before.keys()]) {
      if (!live.has(id)) {
        this.#before.delete(id);
      }
    }
    for (const { consumer, producer } of videos) {
      const flow = read.get(producer.id);
      if (flow && !consumer.paused && !consumer.producerPaused) {
        await this.#follow(consumer, flow, now);
      }
    }
  }

  /** The producer's bytes by spatial layer now, and when each last grew. */
  async #read(producer: types.Producer, now: number): Promise<LayerFlow | null> {
    const encodings = encodingsOf(producer);
    // Read afresh: a layer's silence is timed from this reading.
    const stats = await producerStats(producer, 0, now);
    if (!stats) {
      return null;
    }
    const bytes = encodings.map(
      (_, layer) => stats.find((x) => spatialLayerOf(encodings, x) === layer)?.byteCount ?? 0,
    );
    const before = this.#flows.get(producer.id);
    const grewAt = bytes.map((b, layer) =>
      !before || b > (before.bytes[layer] ?? 0) ? now : (before.grewAt[layer] ?? now),
    );
    const flow = { bytes, grewAt };
    this.#flows.set(producer.id, flow);
    return flow;
  }

  async #follow(consumer: types.Consumer, flow: LayerFlow, now: number): Promise<void> {
    const top = flow.bytes.length - 1;
    const preferred = consumer.preferredLayers?.spatialLayer ?? top;
    const flowing = (layer: number): boolean => flow.grewAt[layer] === now;
    const before = this.#before.get(consumer.id);
    if (before) {
      for (let layer = preferred + 1; layer <= before.spatialLayer; layer++) {
        if (flowing(layer)) {
          this.#before.delete(consumer.id);
          await consumer.setPreferredLayers(before).catch(() => undefined);
          this.#log.info(
            { consumerId: consumer.id, layer, preferred: before.spatialLayer },
            'recorded video: a layer above flows again, its consumer goes back up',
          );
          return;
        }
      }
    }
    // What it forwards, or before its first frame what it waits for.
    const wanted = consumer.currentLayers?.spatialLayer ?? preferred;
    if (now - (flow.grewAt[wanted] ?? now) < SILENT_MS) {
      return;
    }
    let below = -1;
    for (let layer = wanted - 1; layer >= 0; layer--) {
      if (flowing(layer)) {
        below = layer;
        break;
      }
    }
    if (below < 0 || below >= preferred) {
      // Nothing below flows (the point sends nothing: the keyframe requester's watch),
      // or it is already where it should be.
      return;
    }
    if (!before) {
      this.#before.set(consumer.id, consumer.preferredLayers ?? { spatialLayer: top });
    }
    const temporal = consumer.preferredLayers?.temporalLayer;
    await consumer
      .setPreferredLayers({
        spatialLayer: below,
        ...(temporal !== undefined ? { temporalLayer: temporal } : {}),
      })
      .catch(() => undefined);
    this.#log.info(
      {
        consumerId: consumer.id,
        silent: wanted,
        silentMs: now - (flow.grewAt[wanted] ?? now),
        to: below,
      },
      'recorded video: its layer stopped at the sender, taken from the one below',
    );
  }
}
