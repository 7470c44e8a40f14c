/**
 * Asks the senders of recorded video for keyframes. Browsers send them only when asked:
 * without one ffmpeg cannot cut a segment (codec copy cuts on keyframes), and video
 * that resumes after a stall (a stalled sender, packets lost upstream) comes back as
 * inter frames nothing can decode. So: one request per half segment, one while a video
 * is stalled and the moment it flows again (at most one per 2 s), and one whenever the
 * recorder reports a picture broken by lost packets. A stall is the recorder's word: its
 * ffmpeg counts the frames that reach the record (recorder/PictureFlow.ts), so the
 * watch asks mediasoup for nothing.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';

/**
 * No video frame for this long is a stall. A still shared screen sends a frame about a
 * second apart: that is no stall, and its keyframes are large.
 */
const STALL_MS = 1500;
const STALL_KEYFRAME_GAP_MS = 2000;
const WATCH_MS = 500;

interface Stall {
  since: number;
  /** The long stall has been reported. */
  warned: boolean;
}

const BROKEN_FOLLOW_UP_MS = 1000;

const isLiveVideo = (c: types.Consumer): boolean => c.kind === 'video' && !c.closed;

/** A recorded picture frozen this long, while its sender is not paused, is reported. */
const FROZEN_MS = 5000;

export class KeyframeRequester {
  readonly #consumers: () => types.Consumer[];
  readonly #log: Logger;
  /** Recorded videos whose picture the recorder says is quiet, by consumer id. */
  readonly #stalls = new Map<string, Stall>();
  /** When each video's point was last asked for a keyframe (ms). */
  readonly #asked = new Map<string, number>();
  readonly #periodic: NodeJS.Timeout;
  readonly #watch: NodeJS.Timeout;
  readonly #followUps = new Set<NodeJS.Timeout>();

  constructor(consumers: () => types.Consumer[], segmentSeconds: number, log: Logger) {
    this.#consumers = consumers;
    this.#log = log;
    this.#periodic = setInterval(
      () => this.requestNow(this.#consumers()),
      Math.max(1000, (segmentSeconds * 1000) / 2),
    );
    this.#watch = setInterval(() => this.#watchStalls(), WATCH_MS);
  }

  /** A keyframe from each of these consumers' points, now (its video ones). */
  requestNow(consumers: readonly types.Consumer[]): void {
    for (const consumer of consumers.filter(isLiveVideo)) {
      this.#ask(consumer, Date.now());
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

  /** The recorder says no frame of these consumers' picture has come in since `since`. */
  pictureQuiet(consumers: readonly types.Consumer[], since: number): void {
    for (const consumer of consumers.filter(isLiveVideo)) {
      if (!this.#stalls.has(consumer.id)) {
        this.#stalls.set(consumer.id, { since, warned: false });
      }
    }
    this.#watchStalls();
  }

  /** Frames of these consumers' picture come in again. */
  pictureFlows(consumers: readonly types.Consumer[]): void {
    const now = Date.now();
    for (const consumer of consumers.filter(isLiveVideo)) {
      const stall = this.#stalls.get(consumer.id);
      this.#stalls.delete(consumer.id);
      const stalledFor = stall ? now - stall.since : 0;
      if (stalledFor >= STALL_MS && now - this.#askedAt(consumer) >= STALL_KEYFRAME_GAP_MS / 4) {
        this.#log.info({ consumerId: consumer.id, stalledFor }, 'video flows again');
        this.#ask(consumer, now);
      }
    }
  }

  /** A consumer that is gone. */
  forget(consumerId: string): void {
    this.#stalls.delete(consumerId);
    this.#asked.delete(consumerId);
  }

  close(): void {
    clearInterval(this.#periodic);
    clearInterval(this.#watch);
    this.#followUps.forEach(clearTimeout);
    this.#followUps.clear();
    this.#stalls.clear();
    this.#asked.clear();
  }

  #askedAt(consumer: types.Consumer): number {
    return this.#asked.get(consumer.id) ?? -Infinity;
  }

  #ask(consumer: types.Consumer, now: number): void {
    this.#asked.set(consumer.id, now);
    void consumer.requestKeyFrame().catch(() => undefined);
  }

  #watchStalls(): void {
    if (this.#stalls.size === 0) {
      return;
    }
    const now = Date.now();
    const videos = new Map(this.#consumers().map((c) => [c.id, c]));
    for (const [id, stall] of this.#stalls) {
      const consumer = videos.get(id);
      if (!consumer || consumer.closed) {
        this.#stalls.delete(id);
        continue;
      }
      const stalledFor = now - stall.since;
      if (stalledFor >= STALL_MS && now - this.#askedAt(consumer) >= STALL_KEYFRAME_GAP_MS) {
        this.#ask(consumer, now);
      }
      if (stalledFor >= FROZEN_MS && !stall.warned && !consumer.producerPaused) {
        // The point sends, yet nothing reaches the recording: say so, with what the
        // SFU knows of its layers, so an operator (and a test log) can see why.
        stall.warned = true;
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
    }
  }
}
