/**
 * The media of one session: a mediasoup Router on the least-loaded worker, an
 * ActiveSpeakerObserver, and the points' transports, producers and consumers (held by
 * their Peers). If the worker dies, the media moves itself to another worker and asks
 * every point to rebuild (`reset`); the session and its points stay (Room).
 */
import type { types } from 'mediasoup';
import { errors } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';
import type { PeerStats, ProducerInfo, TransportInfo } from '../../protocol/signaling.js';
import type { PooledWorker, WorkerPool } from '../../workers/WorkerPool.js';
import { canProduce } from '../auth/roles.js';
import type { RecordedVideo } from '../recording/RecordedLayerFallback.js';
import { createRecordingConsumer } from '../recording/recordingConsumer.js';
import { MAX_INCOMING_BITRATE, MEDIA_CODECS } from './codecs.js';
import type { MediaSource, Peer } from './Peer.js';
import {
  consumerOf,
  ownProducerOf,
  pointOf,
  sourceOf,
  transportOf,
  webRtcTransportOf,
} from './mediaLookups.js';
import { peerStats } from './peerStats.js';
import type { Layers } from '../bandwidth/allocate.js';
import { compare } from '../bandwidth/LayerSmoother.js';

export { sourceOf } from './mediaLookups.js';

export type RoomMediaEvents = {
  /** A point started sending a source (announced to the others; the recorder follows). */
  newproducer: [peer: Peer, producer: types.Producer];
  producerclose: [peer: Peer, producer: types.Producer];
  /** Paused or resumed by its point. */
  producerpause: [peer: Peer, producer: types.Producer, paused: boolean];
  /** The loudest point changed. */
  activespeaker: [pointId: string];
  /**
   * A point's microphone carries a voice (every quarter second while it does): heard
   * well before the speaker detection names it the loudest. `since`: when the quarter
   * second it was heard in began (an epoch ms), for the voice began within it.
   */
  voice: [pointId: string, since: number];
  /** The recorder takes a producer: what it records must be sent whole. */
  recorded: [producerId: string];
  /** A new video consumer waits for the governor to fit it in (see `governNewVideo`). */
  videoheld: [consumerId: string];
  /** A page asked for more of a picture than the governor's ceiling gives it now. */
  wishabove: [consumerId: string];
  /** The worker died: the points' media is gone; it is being placed on another. */
  lost: [workerPid: number];
  /** The media runs on another worker now: every point rebuilds. */
  reset: [];
};

/** A wish for the highest frame rate, whatever the layer has. */
const ANY_TEMPORAL = 255;

/** The lower of two layer choices, each part on its own (a smaller picture costs less). */
function lowerOf(a: Layers, b: Layers): Layers {
  return { spatial: Math.min(a.spatial, b.spatial), temporal: Math.min(a.temporal, b.temporal) };
}

async function setLayers(consumer: types.Consumer, layers: Layers): Promise<void> {
  await consumer.setPreferredLayers(
    layers.temporal >= ANY_TEMPORAL
      ? { spatialLayer: layers.spatial }
      : { spatialLayer: layers.spatial, temporalLayer: layers.temporal },
  );
}

/** Transports and consumers a single point may hold: generous, but bounded against abuse. */
const MAX_TRANSPORTS_PER_PEER = 4;
const MAX_CONSUMERS_PER_PEER = 200;
/**
 * A new picture held for the governor flows anyway after this long (ms): a governor
 * that does not answer must not keep anyone out of sight.
 */
const HOLD_FOR_GOVERNOR_MS = 3000;
/**
 * How often a voice is looked for (ms): a new speaker's hold is timed from the first
 * quarter second its voice is heard in, close enough beside a one-second hold, at a
 * quarter of the notifications a tenth of a second would cost. How loud it must be
 * (dBov): above a quiet room's murmur, below speech.
 */
const VOICE_INTERVAL_MS = 250;
const VOICE_THRESHOLD_DBOV = -50;
/**
 * How often mediasoup's speaker detection decides (ms). Its default and Jitsi's are
 * 300; a decision only lands when the newest 20 ms level, the last 100 ms and the last
 * second all favour the new voice, and one taken every 300 ms can fall in the pauses
 * between syllables several times running. Side by side on the same voices (`npm run
 * bench -- speaker-detection`), a change of speaker is named p90 0.15–0.3 s sooner at
 * 100 ms; on the bandwidth bench's busy worker, 0.5–0.9 s after its first word
 * instead of 1.2–1.7 s. A decision costs the worker a pass over a dozen levels.
 */
export const SPEAKER_INTERVAL_MS = 100;

interface MediaState {
  pooled: PooledWorker;
  router: types.Router;
  speaker: types.ActiveSpeakerObserver;
  voices: types.AudioLevelObserver;
}

export class RoomMedia extends EnhancedEventEmitter<RoomMediaEvents> {
  readonly #sessionId: string;
  readonly #pool: WorkerPool;
  readonly #peers: ReadonlyMap<string, Peer>;
  readonly #log: Logger;
  #media: MediaState | null = null;
  #governed = false;
  /** New video consumers still waiting for the governor's first ceiling. */
  readonly #held = new Set<string>();
  #placing: Promise<void> | null = null;
  #activeSpeaker: string | null = null;
  #closed = false;
  #maxConsumers = MAX_CONSUMERS_PER_PEER;
  /** What each page asked for its video consumers: a wish within the governor's ceiling. */
  readonly #wishes = new Map<string, Layers>();
  /** The bandwidth governor's ceiling per consumer; null: paused, for want of room. */
  readonly #ceilings = new Map<string, Layers | null>();
  /** Consumers their page has resumed (they start paused); the governor may hold them. */
  readonly #resumedByPage = new Set<string>();
  /** The recorder's consumers, by producer: what is recorded is sent whole (dynacast). */
  readonly #recorded = new Map<string, Set<types.Consumer>>();

  /** Placed on a worker before it resolves. `peers`: the room's, read, never changed here. */
  static async create(
    sessionId: string,
    pool: WorkerPool,
    peers: ReadonlyMap<string, Peer>,
    log: Logger,
    maxConsumersPerPeer = MAX_CONSUMERS_PER_PEER,
  ): Promise<RoomMedia> {
    const media = new RoomMedia(sessionId, pool, peers, log);
    media.#maxConsumers = maxConsumersPerPeer;
    media.#placing = media.#place();
    await media.#placing;
    media.#placing = null;
    return media;
  }

  private constructor(
    sessionId: string,
    pool: WorkerPool,
    peers: ReadonlyMap<string, Peer>,
    log: Logger,
  ) {
    super((event, error) => log.error({ err: error, event }, 'room media listener failed'));
    this.#sessionId = sessionId;
    this.#pool = pool;
    this.#peers = peers;
    this.#log = log;
  }

  get workerPid(): number | null {
    return this.#media?.pooled.worker.pid ?? null;
  }

  get activeSpeaker(): string | null {
    return this.#activeSpeaker;
  }

  /** Resolves once the media is placed (after a worker's death: on its new worker). */
  async ready(): Promise<void> {
    await this.#ready();
  }

  async rtpCapabilities(): Promise<types.RtpCapabilities> {
    return (await this.#ready()).router.rtpCapabilities;
  }

  // ---- transports --------------------------------------------------------------------

  async createTransport(peer: Peer, direction: 'send' | 'recv'): Promise<TransportInfo> {
    const { router, pooled } = await this.#ready();
    if (peer.transports.size >= MAX_TRANSPORTS_PER_PEER) {
      throw new errors.TOO_MANY_REQUESTS(`at most ${MAX_TRANSPORTS_PER_PEER} transports per point`);
    }
    const transport = await router.createWebRtcTransport({
      webRtcServer: pooled.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
      appData: { direction, pointId: peer.pointId },
    });
    if (peer.closed) {
      transport.close();
      throw new errors.NOT_JOINED();
    }
    if (direction === 'send') {
      await transport.setMaxIncomingBitrate(MAX_INCOMING_BITRATE);
    }
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * A plain RTP transport on 127.0.0.1 for an in-process point (synthetic publishers,
   * the recorder): same produce/consume paths as a browser's, no ICE or DTLS. The
   * sender's address is learnt from its first packet (comedia). ffmpeg sends RTCP from a
   * port of its own, so senders like it need `rtcpMux: false` (RTCP on `rtcpTuple`).
   */
  async createPlainTransport(
    peer: Peer,
    direction: 'send' | 'recv',
    options: { rtcpMux?: boolean } = {},
  ): Promise<types.PlainTransport> {
    const { router } = await this.#ready();
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: options.rtcpMux ?? true,
      comedia: direction === 'send',
      appData: { direction, pointId: peer.pointId },
    });
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    return transport;
  }

  /** A paused consumer of a producer for the recorder's ffmpeg on loopback ports. */
  async recordingConsumer(
    producerId: string,
    port: number,
    rtcpPort: number,
  ): Promise<types.Consumer> {
    const { router } = await this.#ready();
    const consumer = await createRecordingConsumer(router, producerId, port, rtcpPort);
    const recorded = this.#recorded.get(producerId) ?? new Set();
    recorded.add(consumer);
    this.#recorded.set(producerId, recorded);
    consumer.observer.once('close', () => {
      recorded.delete(consumer);
      if (recorded.size === 0 && this.#recorded.get(producerId) === recorded) {
        this.#recorded.delete(producerId);
      }
    });
    this.safeEmit('recorded', producerId);
    return consumer;
  }

  /** Every video the recorder takes, with its producer: runs being started (paused) too. */
  recordedVideos(): RecordedVideo[] {
    const videos: RecordedVideo[] = [];
    for (const peer of this.#peers.values()) {
      for (const producer of peer.producers.values()) {
        for (const consumer of this.#recorded.get(producer.id) ?? []) {
          if (producer.kind === 'video' && !consumer.closed) {
            videos.push({ consumer, producer });
          }
        }
      }
    }
    return videos;
  }

  /** Whether the recorder takes this producer (about to, or does): its top layer is needed. */
  isRecorded(producerId: string): boolean {
    return [...(this.#recorded.get(producerId) ?? [])].some((c) => !c.closed);
  }

  async connectTransport(peer: Peer, transportId: string, dtlsParameters: object): Promise<void> {
    const transport = webRtcTransportOf(peer, transportId);
    await mediaCall(() =>
      transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters }),
    );
  }

  async restartIce(peer: Peer, transportId: string) {
    const transport = webRtcTransportOf(peer, transportId);
    return { iceParameters: await transport.restartIce() };
  }

  // ---- producers ---------------------------------------------------------------------

  async produce(
    peer: Peer,
    request: {
      transportId: string;
      kind: types.MediaKind;
      rtpParameters: object;
      source: MediaSource;
    },
    /** A microphone the chair holds muted starts paused. */
    mutedByOperator: boolean,
  ): Promise<{ id: string }> {
    if (!canProduce(peer.claims.role)) {
      throw new errors.FORBIDDEN('observers receive only');
    }
    const expectedKind = request.source === 'mic' ? 'audio' : 'video';
    if (request.kind !== expectedKind) {
      throw new errors.INVALID_PARAMS(
        `data.kind: source ${request.source} carries ${expectedKind}`,
      );
    }
    const transport = transportOf(peer, request.transportId, 'send');
    const { speaker, voices } = await this.#ready();
    if (transport.closed) {
      throw new errors.TRANSPORT_NOT_FOUND(request.transportId);
    }
    peer.producerBySource(request.source)?.close();
    const producer = await mediaCall(() =>
      transport.produce({
        kind: request.kind,
        rtpParameters: request.rtpParameters as types.RtpParameters,
        appData: { pointId: peer.pointId, source: request.source },
      }),
    );
    forgetIfOrphan(transport, producer, request.transportId);
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.safeEmit('producerclose', peer, producer);
    });
    if (request.source === 'mic') {
      await speaker.addProducer({ producerId: producer.id }).catch(() => undefined);
      await voices.addProducer({ producerId: producer.id }).catch(() => undefined);
      if (mutedByOperator) {
        await producer.pause();
      }
    }
    this.safeEmit('newproducer', peer, producer);
    return { id: producer.id };
  }

  closeProducer(peer: Peer, producerId: string): void {
    ownProducerOf(peer, producerId).close();
  }

  async setProducerPaused(
    peer: Peer,
    producerId: string,
    paused: boolean,
    mutedByOperator: boolean,
  ): Promise<MediaSource> {
    const producer = ownProducerOf(peer, producerId);
    const source = sourceOf(producer);
    if (!paused && source === 'mic' && mutedByOperator) {
      throw new errors.MUTED_BY_OPERATOR();
    }
    if (paused) {
      await producer.pause();
    } else {
      await producer.resume();
    }
    this.safeEmit('producerpause', peer, producer, paused);
    return source;
  }

  /** The chair's mute: the point's microphone paused or resumed on the server. */
  async setMicPaused(peer: Peer | undefined, paused: boolean): Promise<void> {
    const mic = peer?.producerBySource('mic');
    if (mic) {
      await (paused ? mic.pause() : mic.resume());
    }
  }

  producerInfo(pointId: string, producer: types.Producer): ProducerInfo {
    return {
      producerId: producer.id,
      pointId,
      kind: producer.kind,
      source: sourceOf(producer),
      paused: producer.paused,
    };
  }

  /** Every producer of the room but those of `exceptPointId`: what a joining point consumes. */
  producerInfos(exceptPointId: string): ProducerInfo[] {
    const out: ProducerInfo[] = [];
    for (const peer of this.#peers.values()) {
      if (peer.pointId === exceptPointId) {
        continue;
      }
      for (const producer of peer.producers.values()) {
        out.push(this.producerInfo(peer.pointId, producer));
      }
    }
    return out;
  }

  // ---- consumers ---------------------------------------------------------------------

  async consume(peer: Peer, transportId: string, producerId: string) {
    const { router } = await this.#ready();
    const transport = transportOf(peer, transportId, 'recv');
    if (!peer.rtpCapabilities) {
      throw new errors.NOT_JOINED();
    }
    const owner = this.#producerOwner(producerId);
    if (!owner) {
      throw new errors.PRODUCER_NOT_FOUND(producerId);
    }
    if (peer.consumers.size >= this.#maxConsumers) {
      throw new errors.TOO_MANY_REQUESTS(`at most ${this.#maxConsumers} consumers per point`);
    }
    if (!router.canConsume({ producerId, rtpCapabilities: peer.rtpCapabilities })) {
      throw new errors.CANNOT_CONSUME(producerId);
    }
    const producer = owner.producers.get(producerId) as types.Producer;
    const source = sourceOf(producer);
    // Created paused: the client resumes once its side is ready, so the first
    // keyframe is not sent into the void.
    const consumer = await mediaCall(() =>
      transport.consume({
        producerId,
        rtpCapabilities: peer.rtpCapabilities as types.RtpCapabilities,
        paused: true,
        appData: { pointId: owner.pointId, source },
      }),
    );
    forgetIfOrphan(transport, consumer, transportId);
    peer.consumers.set(consumer.id, consumer);
    if (this.#governed && consumer.kind === 'video') {
      // Held until a tick has fitted it in: every page resumes a newly shared screen
      // at once, and its consumers overran a 10 Mbit/s link until the next tick.
      this.#ceilings.set(consumer.id, null);
      this.#held.add(consumer.id);
      setTimeout(() => void this.#release(peer, consumer), HOLD_FOR_GOVERNOR_MS).unref();
      this.safeEmit('videoheld', consumer.id);
    }
    consumer.observer.once('close', () => {
      peer.consumers.delete(consumer.id);
      this.#wishes.delete(consumer.id);
      this.#ceilings.delete(consumer.id);
      this.#resumedByPage.delete(consumer.id);
      this.#held.delete(consumer.id);
    });
    consumer.on('producerclose', () => {
      peer.channel.notify('consumerClosed', { consumerId: consumer.id, producerId });
    });
    consumer.on('layerschange', (layers) => {
      peer.channel.notify('consumerLayersChanged', {
        consumerId: consumer.id,
        layers: layers ?? null,
      });
    });
    return {
      id: consumer.id,
      producerId,
      pointId: owner.pointId,
      source,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    };
  }

  async resumeConsumer(peer: Peer, consumerId: string): Promise<void> {
    const consumer = consumerOf(peer, consumerId);
    this.#resumedByPage.add(consumerId);
    // Held by the governor: resumed when there is room again.
    if (this.#ceilings.get(consumerId) !== null) {
      await consumer.resume();
    }
  }

  /**
   * The page's wish for a video consumer's layers (it shows the picture this large): a
   * ceiling of its own, applied under the governor's. `temporalLayer` undefined: the
   * highest frame rate.
   */
  async setConsumerPreferredLayers(
    peer: Peer,
    consumerId: string,
    spatialLayer: number,
    temporalLayer: number | undefined,
  ): Promise<void> {
    const consumer = consumerOf(peer, consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
      return;
    }
    const wish = { spatial: spatialLayer, temporal: temporalLayer ?? ANY_TEMPORAL };
    this.#wishes.set(consumerId, wish);
    const ceiling = this.#ceilings.get(consumerId);
    await setLayers(consumer, ceiling ? lowerOf(wish, ceiling) : wish);
    // The ceiling was planned under the old wish: the governor plans again.
    if (ceiling && compare(wish, ceiling) > 0) {
      this.safeEmit('wishabove', consumerId);
    }
  }

  /** Whether the page shows this consumer (it resumed it; a consumer starts paused). */
  shownByPage(consumerId: string): boolean {
    return this.#resumedByPage.has(consumerId);
  }

  /** What the page asked for this consumer, if it asked. */
  wishOf(consumerId: string): Layers | null {
    return this.#wishes.get(consumerId) ?? null;
  }

  /**
   * The governor's ceiling for a video consumer, under the page's wish; null pauses it
   * (even its lowest layer does not fit) until a ceiling gives it room again.
   */
  async setCeiling(consumer: types.Consumer, ceiling: Layers | null): Promise<void> {
    this.#held.delete(consumer.id);
    this.#ceilings.set(consumer.id, ceiling);
    if (ceiling === null) {
      // Always: a page's resume may be on its way to the worker (the flag flips only
      // when the worker answers), and the worker takes requests in order.
      await consumer.pause();
      return;
    }
    if (consumer.type === 'simulcast' || consumer.type === 'svc') {
      const wish = this.#wishes.get(consumer.id);
      await setLayers(consumer, wish ? lowerOf(wish, ceiling) : ceiling);
    }
    // Whatever the ceiling was: a resume that failed before (a busy worker) is not
    // left undone for good. Pages never pause a consumer; only a null ceiling does.
    if (consumer.paused && this.#resumedByPage.has(consumer.id)) {
      await consumer.resume();
    }
  }

  /**
   * From now on a new video consumer flows only once the governor has set its first
   * ceiling (it asks for a tick on `videoheld`), never at whatever layer it starts on.
   */
  governNewVideo(): void {
    this.#governed = true;
  }

  /** A held picture the governor never fitted in: flows at the page's wish, as ungoverned. */
  async #release(peer: Peer, consumer: types.Consumer): Promise<void> {
    if (!this.#held.delete(consumer.id) || consumer.closed) {
      return;
    }
    this.#log.warn(
      { pointId: peer.pointId, consumerId: consumer.id },
      'bandwidth: a new picture was not fitted in by the governor in time; it flows ungoverned',
    );
    this.#ceilings.delete(consumer.id);
    if (consumer.paused && this.#resumedByPage.has(consumer.id)) {
      await consumer.resume().catch(() => undefined);
    }
  }

  /** What the server measures of a point's media. */
  stats(peer: Peer): Promise<PeerStats> {
    return peerStats(peer);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#media?.router.close();
    this.#media = null;
  }

  // ---- placement ---------------------------------------------------------------------

  async #ready(): Promise<MediaState> {
    if (this.#placing) {
      await this.#placing;
    }
    if (!this.#media || this.#closed) {
      throw new errors.UNAVAILABLE('the session has no media server right now');
    }
    return this.#media;
  }

  async #place(): Promise<void> {
    const pooled = await this.#pool.pickWorker();
    const router = await pooled.worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { sessionId: this.#sessionId },
    });
    const speaker = await router.createActiveSpeakerObserver({ interval: SPEAKER_INTERVAL_MS });
    speaker.on('dominantspeaker', ({ producer }) => {
      const pointId = pointOf(producer);
      if (pointId !== this.#activeSpeaker) {
        this.#activeSpeaker = pointId;
        this.safeEmit('activespeaker', pointId);
      }
    });
    // A voice, not a dominant one: louder than a quiet room (-127 is silence, speech
    // sits around -20 to -40 dBov).
    const voices = await router.createAudioLevelObserver({
      interval: VOICE_INTERVAL_MS,
      threshold: VOICE_THRESHOLD_DBOV,
      maxEntries: 16,
    });
    voices.on('volumes', (volumes) => {
      // Each volume is the interval's average: the voice was there since it began.
      const since = Date.now() - VOICE_INTERVAL_MS;
      for (const { producer } of volumes) {
        this.safeEmit('voice', pointOf(producer), since);
      }
    });
    router.on('workerclose', () => this.#onWorkerLost(pooled));
    if (this.#closed) {
      router.close();
      return;
    }
    this.#media = { pooled, router, speaker, voices };
    this.#log.info({ workerPid: pooled.worker.pid, slot: pooled.slot }, 'session media placed');
  }

  #onWorkerLost(lost: PooledWorker): void {
    if (this.#closed || this.#pool.closed) {
      return;
    }
    this.#log.warn({ workerPid: lost.worker.pid }, 'worker lost: moving the session');
    this.safeEmit('lost', lost.worker.pid);
    this.#media = null;
    this.#activeSpeaker = null;
    for (const peer of this.#peers.values()) {
      peer.closeMedia();
    }
    const attempt = (): Promise<void> =>
      this.#place().catch(async (err: unknown) => {
        this.#log.error({ err }, 'cannot place the session on a worker yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (!this.#closed) {
          return attempt();
        }
      });
    this.#placing = attempt().then(() => {
      this.#placing = null;
      this.safeEmit('reset');
    });
  }

  /** A point's producer in this room, whichever point sends it. */
  producer(producerId: string): types.Producer | undefined {
    return this.#producerOwner(producerId)?.producers.get(producerId);
  }

  #producerOwner(producerId: string): Peer | undefined {
    for (const peer of this.#peers.values()) {
      if (peer.producers.has(producerId)) {
        return peer;
      }
    }
    return undefined;
  }
}

/** mediasoup rejects bad RTP/DTLS parameters with TypeError: a client mistake, coded. */
async function mediaCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError || (err as Error).name === 'UnsupportedError') {
      throw new errors.MEDIA_FAILED((err as Error).message);
    }
    throw err;
  }
}

/**
 * A producer or consumer made while its transport closed (the point's connection
 * dropped mid-request, and its media closed for the grace period): the worker closed
 * it with the transport, which never knew of it. Kept, the point would stay listed with
 * a camera the recorder tries, and fails, to record until the grace period ends.
 */
function forgetIfOrphan(
  transport: types.Transport,
  made: types.Producer | types.Consumer,
  transportId: string,
): void {
  if (transport.closed) {
    made.close();
    throw new errors.TRANSPORT_NOT_FOUND(transportId);
  }
}
