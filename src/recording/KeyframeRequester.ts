/**
 * Asks the senders of recorded video for keyframes. Browsers send them only when asked:
 * without one ffmpeg cannot cut a segment (codec copy cuts on keyframes), and video
 * that resumes after a stall (a stalled sender, packets lost upstream) comes back as
 * inter frames nothing can decode. So: one request per half segment, one while a video
 * is stalled and the moment it flows again (at most one per 2 s), and one whenever the
 * recorder reports a picture broken by lost packets.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { encodingsOf, spatialLayerOf } from '../sfu/mediaLookups.js';
import { producerStats } from '../sfu/producerStats.js';
import { RECORDED_READING_MAX_AGE_MS } from './RecordedLayerFallback.js';

/** No video bytes for this long is a stall. */
const STALL_MS = 1000;
const STALL_KEYFRAME_GAP_MS = 2000;
const WATCH_MS = 500;
/**
 * A simulcast camera's reading this old will do: the recorded-layer fallback reads
 * each recorded camera three times a second, so the watch costs no request of its own.
 */
const READING_MAX_AGE_MS = RECORDED_READING_MAX_AGE_MS;

interface Flow {
  /** Changes whenever video reaches the recording (see `#flowMark`). */
  mark: string;
  stalledSince: number | null;
  lastRequest: number;
  /** The long stall has been reported. */
  warned: boolean;
}

const BROKEN_FOLLOW_UP_MS = 1000;

const isLiveVideo = (c: types.Consumer): boolean => c.kind === 'video' && !c.closed;

/** A recorded picture frozen this long, while its sender is not paused, is reported. */
const FROZEN_MS = 5000;

export class KeyframeRequester {
  readonly #consumers: () => types.Consumer[];
  readonly #producerOf: (consumer: types.Consumer) => types.Producer | undefined;
  readonly #log: Logger;
  readonly #flows = new Map<string, Flow>();
  readonly #periodic: NodeJS.Timeout;
  readonly #watch: NodeJS.Timeout;
  readonly #followUps = new Set<NodeJS.Timeout>();

  constructor(
    consumers: () => types.Consumer[],
    producerOf: (consumer: types.Consumer) => types.Producer | undefined,
    segmentSeconds: number,
    log: Logger,
  ) {
    this.#consumers = consumers;
    this.#producerOf = producerOf;
    this.#log = log;
    this.#periodic = setInterval(
      () => this.requestNow(this.#consumers()),
      Math.max(1000, (segmentSeconds * 1000) / 2),
    );
    this.#watch = setInterval(() => {
      this.#watchStalls().catch((err: unknown) =>
        this.#log.warn({ err }, 'watching for video stalls failed'),
      );
    }, WATCH_MS);
  }

  /** A keyframe from each of these consumers' points, now (its video ones). */
  requestNow(consumers: readonly types.Consumer[]): void {
    for (const consumer of consumers.filter(isLiveVideo)) {
      void consumer.requestKeyFrame().catch(() => undefined);
    }
  }

  /**
   * The recorder saw a picture broken by lost packets. ffmpeg says so once per break,
   * and a request (or the keyframe) can itself be lost on a point's link: ask now, and
   * once more a second later.
   */
  pictureBroken(consumers: readonly types.Consumer[]): void {
    this.requestNow(consumers);
    const again = setTimeout(() => {
      this.#followUps.delete(again);
      this.requestNow(consumers);
    }, BROKEN_FOLLOW_UP_MS);
    this.#followUps.add(again);
  }

  /** A consumer that is gone. */
  forget(consumerId: string): void {
    this.#flows.delete(consumerId);
  }

  close(): void {
    clearInterval(this.#periodic);
    clearInterval(this.#watch);
    this.#followUps.forEach(clearTimeout);
    this.#followUps.clear();
    this.#flows.clear();
  }

  #videos(): types.Consumer[] {
    return this.#consumers().filter(isLiveVideo);
  }

  async #watchStalls(): Promise<void> {
    const now = Date.now();
    for (const consumer of this.#videos()) {
      const mark = await this.#flowMark(consumer);
      const flow = this.#flows.get(consumer.id) ?? {
        mark,
        stalledSince: null,
        lastRequest: now,
        warned: false,
      };
      const stalledFor = flow.stalledSince === null ? 0 : now - flow.stalledSince;
      const ask = (): void => {
        flow.lastRequest = now;
        void consumer.requestKeyFrame().catch(() => undefined);
      };
      if (mark === flow.mark) {
        flow.stalledSince ??= now;
        if (stalledFor >= STALL_MS && now - flow.lastRequest >= STALL_KEYFRAME_GAP_MS) {
          ask();
        }
        if (stalledFor >= FROZEN_MS && !flow.warned && !consumer.producerPaused) {
          // The point sends, yet nothing reaches the recording: say so, with what the
          // SFU knows of its layers, so an operator (and a test log) can see why.
          flow.warned = true;
          this.#log.warn(
            {
              consumerId: consumer.id,
              stalledFor,
              paused: consumer.paused,
              currentLayers: consumer.currentLayers,
              preferredLayers: consumer.preferredLayers,
              score: consumer.score,
            },
            'recorded video frozen while its point is sending',
          );
        }
      } else {
        if (stalledFor >= STALL_MS && now - flow.lastRequest >= STALL_KEYFRAME_GAP_MS / 4) {
          this.#log.info({ consumerId: consumer.id, stalledFor }, 'video flows again');
          ask();
        }
        flow.stalledSince = null;
        flow.warned = false;
      }
      flow.mark = mark;
      this.#flows.set(consumer.id, flow);
    }
  }

  /**
   * What tells that video reaches the recording: a consumer's byte count, or for a
   * simulcast camera the layer mediasoup forwards and that layer's bytes at its point
   * (a consumer forwards its current layer whole; with nothing to forward, it has none).
   */
  async #flowMark(consumer: types.Consumer): Promise<string> {
    const producer = consumer.type === 'simulcast' ? this.#producerOf(consumer) : undefined;
    if (!producer) {
      const stats = await consumer.getStats().catch(() => []);
      return String(stats.find((s) => s.type === 'outbound-rtp')?.byteCount ?? 0);
    }
    const layer = consumer.currentLayers?.spatialLayer;
    if (consumer.paused || layer === undefined) {
      return 'none';
    }
    const encodings = encodingsOf(producer);
    const stats = (await producerStats(producer, READING_MAX_AGE_MS)) ?? [];
    const bytes = stats.find((s) => spatialLayerOf(encodings, s) === layer)?.byteCount ?? 0;
    return `${layer}:${bytes}`;
  }
}
