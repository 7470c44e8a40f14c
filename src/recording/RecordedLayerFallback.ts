/**
 * A recorded camera whose simulcast layer stops at its sender is taken from the highest
 * layer still arriving, at once. A browser stops a layer without a word to the SFU: a
 * busy PC drops its top layer, a thin uplink its middle one, dynacast's "stop" may
 * cross a recording run that is just starting. mediasoup notices a silent layer only
 * after 1.5 s of RTP inactivity, then asks the next one down for a keyframe; until
 * then it forwards nothing, a hole of two seconds or more in the legal record.
 *
 * The recorder's ffmpeg counts the frames that reach the record and says when the
 * picture goes quiet (recorder/PictureFlow.ts). Only then are that camera's layers
 * read, twice a moment apart: a layer that brought nothing in between, while one below
 * it did, is left, and the consumer prefers that one, whose keyframe is asked for at
 * once. A camera taken down a layer is read a few times a second until a layer above
 * flows again; the consumer then prefers what it did before, and mediasoup moves up on
 * that layer's keyframe and forwards the lower one until then, so the way back has no
 * hole. Reading every recorded camera a few times a second instead, whether its picture
 * flowed or not, was 33 requests a second to mediasoup for 11 points.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { encodingsOf, spatialLayerOf } from '../sfu/mediaLookups.js';
import { producerStats } from '../sfu/producerStats.js';

export interface RecordedVideo {
  consumer: types.Consumer;
  producer: types.Producer;
}

/** How often a camera under watch is read (ms). */
const WATCH_MS = 333;
/**
 * A quiet picture's camera is read again this long after the first reading (ms), to
 * tell the layers that flow from those that stopped.
 */
const SECOND_READING_MS = 160;
/**
 * A layer that brought nothing for this long, while one below did, is left (ms). A
 * camera's layer brings packets every few tens of milliseconds, so no layer that flows
 * is this quiet.
 */
export const SILENT_MS = 150;

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
  /** Consumers whose picture the recorder says is quiet. */
  readonly #quiet = new Set<string>();
  readonly #secondReadings = new Set<NodeJS.Timeout>();
  #busy = false;
  /** A round was asked for while one ran: it follows at once. */
  #again = false;
  /** A quiet picture waits for its second reading, after the round under way. */
  #secondWanted = false;
  #closed = false;

  constructor(recorded: () => RecordedVideo[], log: Logger) {
    this.#recorded = recorded;
    this.#log = log;
    this.#timer = setInterval(() => this.#round(), WATCH_MS);
  }

  /** The recorder says no frame of these consumers' picture comes in: looked into now. */
  pictureQuiet(consumerIds: readonly string[]): void {
    consumerIds.forEach((id) => this.#quiet.add(id));
    this.#secondWanted = true;
    this.#round();
  }

  /** Frames of these consumers' picture come in again. */
  pictureFlows(consumerIds: readonly string[]): void {
    consumerIds.forEach((id) => this.#quiet.delete(id));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#secondReadings.forEach(clearTimeout);
    this.#secondReadings.clear();
    this.#flows.clear();
    this.#before.clear();
    this.#quiet.clear();
  }

  /**
   * One reading of the cameras under watch; asked while one is on its way, it follows
   * that one. A quiet picture's second reading is timed from the end of its first.
   */
  #round(): void {
    if (this.#closed || (this.#quiet.size === 0 && this.#before.size === 0)) {
      return;
    }
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    const second = this.#secondWanted;
    this.#secondWanted = false;
    this.#watch()
      .catch((err: unknown) => this.#log.warn({ err }, 'watching recorded layers failed'))
      .finally(() => {
        this.#busy = false;
        if (second && !this.#closed) {
          const timer = setTimeout(() => {
            this.#secondReadings.delete(timer);
            this.#round();
          }, SECOND_READING_MS);
          this.#secondReadings.add(timer);
        }
        if (this.#again) {
          this.#again = false;
          this.#round();
        }
      });
  }

  async #watch(): Promise<void> {
    const now = Date.now();
    const recorded = this.#recorded().filter(
      ({ consumer, producer }) =>
        consumer.type === 'simulcast' && !consumer.closed && !producer.closed,
    );
    const live = new Set(recorded.map((v) => v.consumer.id));
    for (const id of [...this.#quiet]) {
      if (!live.has(id)) {
        this.#quiet.delete(id);
      }
    }
    // A camera switched off is quiet for as long as it is off: nothing to read.
    const videos = recorded.filter(
      ({ consumer }) =>
        (this.#quiet.has(consumer.id) || this.#before.has(consumer.id)) &&
        !consumer.paused &&
        !consumer.producerPaused,
    );
    const read = new Map<string, LayerFlow | null>();
    for (const { producer } of videos) {
      if (!read.has(producer.id)) {
        read.set(producer.id, await this.#read(producer, now));
      }
    }
    // A camera taken down a layer keeps its readings while it is paused: the first
    // reading after would count every layer as flowing, and take it back up at once.
    const kept = new Set(
      recorded.filter(({ consumer }) => this.#before.has(consumer.id)).map((v) => v.producer.id),
    );
    for (const id of [...this.#flows.keys()]) {
      if (!read.has(id) && !kept.has(id)) {
        this.#flows.delete(id);
      }
    }
    for (const id of [...this.#before.keys()]) {
      if (!live.has(id)) {
        this.#before.delete(id);
      }
    }
    for (const { consumer, producer } of videos) {
      const flow = read.get(producer.id);
      if (flow) {
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
    // Brought bytes lately: two readings may be only a moment apart.
    const flowing = (layer: number): boolean => now - (flow.grewAt[layer] ?? -Infinity) < SILENT_MS;
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
