/**
 * The media of one session: a mediasoup Router on the least-loaded worker, an
 * ActiveSpeakerObserver, and one Peer per bridge point. If the worker dies, the room
 * moves itself to another worker and tells every point to rebuild its media
 * (`mediaReset`); the session and its points stay.
 */
import type { types } from 'mediasoup';
import { canControl, canProduce } from '../auth/roles.js';
import { errors } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { PointInfo, Session } from '../sessions/Session.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';
import type { PooledWorker, WorkerPool } from '../../workers/WorkerPool.js';
import { createRecordingConsumer } from '../recording/recordingConsumer.js';
import { MAX_INCOMING_BITRATE, MEDIA_CODECS } from './codecs.js';
import type { MediaSource, Peer } from './Peer.js';
import {
  CLOSE_CODES,
  type JoinResult,
  type NotificationMethod,
  type PeerStats,
  type ProducerInfo,
  type SignalingNotifications,
} from '../../protocol/signaling.js';

export interface RoomOptions {
  session: Session;
  pool: WorkerPool;
  logger: Logger;
  maxDelegatePoints: number;
  reconnectGraceMs: number;
}

export type { JoinResult, ProducerInfo };

export type RoomEvents = {
  '@close': [];
  '@empty': [];
  /** A point started sending a source (the recorder follows these). */
  newproducer: [pointId: string, producer: types.Producer];
};

/** Transports and consumers a single point may hold: generous, but bounded against abuse. */
const MAX_TRANSPORTS_PER_PEER = 4;
const MAX_CONSUMERS_PER_PEER = 200;

interface MediaState {
  pooled: PooledWorker;
  router: types.Router;
  speaker: types.ActiveSpeakerObserver;
}

export class Room extends EnhancedEventEmitter<RoomEvents> {
  readonly session: Session;
  readonly peers = new Map<string, Peer>();
  readonly #options: RoomOptions;
  readonly #log: Logger;
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  #media: MediaState | null = null;
  #placing: Promise<void> | null = null;
  #activeSpeaker: string | null = null;
  #closed = false;

  static async create(options: RoomOptions): Promise<Room> {
    const room = new Room(options);
    room.#placing = room.#place();
    await room.#placing;
    room.#placing = null;
    return room;
  }

  private constructor(options: RoomOptions) {
    const log = options.logger.child({ sessionId: options.session.id });
    super((event, error) => log.error({ err: error, event }, 'room listener failed'));
    this.session = options.session;
    this.#options = options;
    this.#log = log;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get workerPid(): number | null {
    return this.#media?.pooled.worker.pid ?? null;
  }

  async rtpCapabilities(): Promise<types.RtpCapabilities> {
    return (await this.#ready()).router.rtpCapabilities;
  }

  // ---- membership -------------------------------------------------------------------

  async join(peer: Peer, rtpCapabilities: types.RtpCapabilities): Promise<JoinResult> {
    const { session } = this;
    const { pointId } = peer.claims;
    if (session.removed.has(pointId)) {
      throw new errors.POINT_REMOVED();
    }
    const existing = this.peers.get(pointId);
    if (!session.admitted.has(pointId) && !session.points.has(pointId)) {
      if (session.locked) {
        throw new errors.SESSION_LOCKED();
      }
      const counts = peer.claims.pointKind === 'delegate' && peer.claims.role !== 'observer';
      if (counts && session.delegateCount() >= this.#options.maxDelegatePoints) {
        throw new errors.SESSION_FULL(this.#options.maxDelegatePoints);
      }
    }
    await this.#ready();
    if (existing && existing !== peer) {
      // The same point on a newer connection (a reconnect that beat the old socket's close).
      existing.close();
      existing.channel.close(CLOSE_CODES.replaced, 'replaced by a newer connection of this point');
    } else if (existing === peer) {
      // A rejoin on the same connection: the client rebuilds its media from scratch.
      peer.closeMedia();
    }
    this.#cancelGrace(pointId);
    peer.rtpCapabilities = rtpCapabilities;
    this.peers.set(pointId, peer);

    const wasPresent = session.points.has(pointId);
    const info: PointInfo = {
      id: pointId,
      name: peer.claims.pointName,
      kind: peer.claims.pointKind,
      role: peer.claims.role,
      connection: 'connected',
      mutedByOperator: session.mutedByOperator.has(pointId),
    };
    session.points.set(pointId, info);
    session.admitted.add(pointId);
    if (wasPresent) {
      if (existing !== peer) {
        session.record('point-reconnected', { pointId });
      }
      this.broadcast('pointUpdated', { point: info }, pointId);
    } else {
      session.record('point-joined', {
        pointId,
        detail: { name: info.name, kind: info.kind, role: info.role },
      });
      this.broadcast('pointJoined', { point: info }, pointId);
    }
    this.#log.info({ pointId, role: info.role, rejoin: wasPresent }, 'point joined');
    return {
      sessionId: session.id,
      you: info,
      points: [...session.points.values()],
      producers: this.#producerInfos(pointId),
      locked: session.locked,
      spotlight: session.spotlight,
      activeSpeaker: this.#activeSpeaker,
      recording: session.recording,
    };
  }

  /** The point's connection dropped: keep its place for the grace period. */
  disconnected(peer: Peer): void {
    const { pointId } = peer;
    if (this.peers.get(pointId) !== peer || this.#closed) {
      return;
    }
    peer.closeMedia();
    const info = this.session.points.get(pointId);
    if (info) {
      info.connection = 'reconnecting';
      this.session.record('point-reconnecting', { pointId });
      this.broadcast('pointUpdated', { point: info }, pointId);
    }
    this.#cancelGrace(pointId);
    this.#graceTimers.set(
      pointId,
      setTimeout(() => {
        this.#graceTimers.delete(pointId);
        if (this.peers.get(pointId) === peer) {
          this.leave(peer, 'connection-lost');
        }
      }, this.#options.reconnectGraceMs),
    );
  }

  leave(peer: Peer, reason: 'left' | 'connection-lost' | 'removed'): void {
    const { pointId } = peer;
    if (this.peers.get(pointId) !== peer) {
      peer.close();
      return;
    }
    this.#cancelGrace(pointId);
    peer.close();
    this.peers.delete(pointId);
    this.session.points.delete(pointId);
    this.session.record('point-left', { pointId, detail: { reason } });
    this.broadcast('pointLeft', { pointId, reason });
    if (this.session.spotlight === pointId) {
      this.session.spotlight = null;
      this.broadcast('spotlight', { pointId: null });
    }
    this.#log.info({ pointId, reason }, 'point left');
    if (this.peers.size === 0) {
      this.safeEmit('@empty');
    }
  }

  // ---- transports --------------------------------------------------------------------

  async createTransport(peer: Peer, direction: 'send' | 'recv') {
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
    return createRecordingConsumer(router, producerId, port, rtcpPort);
  }

  async connectTransport(peer: Peer, transportId: string, dtlsParameters: unknown): Promise<void> {
    const transport = this.#webRtcTransport(peer, transportId);
    await mediaCall(() =>
      transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters }),
    );
  }

  async restartIce(peer: Peer, transportId: string) {
    const transport = this.#webRtcTransport(peer, transportId);
    return { iceParameters: await transport.restartIce() };
  }

  // ---- producers ---------------------------------------------------------------------

  async produce(
    peer: Peer,
    request: {
      transportId: string;
      kind: types.MediaKind;
      rtpParameters: unknown;
      source: MediaSource;
    },
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
    const transport = this.#transport(peer, request.transportId, 'send');
    const { speaker } = await this.#ready();
    peer.producerBySource(request.source)?.close();
    const producer = await mediaCall(() =>
      transport.produce({
        kind: request.kind,
        rtpParameters: request.rtpParameters as types.RtpParameters,
        appData: { pointId: peer.pointId, source: request.source },
      }),
    );
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.broadcast(
        'producerClosed',
        { producerId: producer.id, pointId: peer.pointId },
        peer.pointId,
      );
    });
    if (request.source === 'mic') {
      await speaker.addProducer({ producerId: producer.id }).catch(() => undefined);
      if (this.session.mutedByOperator.has(peer.pointId)) {
        await producer.pause();
      }
    }
    this.broadcast('newProducer', this.#producerInfo(peer.pointId, producer), peer.pointId);
    this.safeEmit('newproducer', peer.pointId, producer);
    return { id: producer.id };
  }

  closeProducer(peer: Peer, producerId: string): void {
    this.#ownProducer(peer, producerId).close();
  }

  async setProducerPaused(peer: Peer, producerId: string, paused: boolean): Promise<void> {
    const producer = this.#ownProducer(peer, producerId);
    const source = (producer.appData as { source: MediaSource }).source;
    if (!paused && source === 'mic' && this.session.mutedByOperator.has(peer.pointId)) {
      throw new errors.MUTED_BY_OPERATOR();
    }
    if (paused) {
      await producer.pause();
    } else {
      await producer.resume();
    }
    // In the record: a point that sends nothing for a while is not a recording gap.
    this.session.record(paused ? 'source-paused' : 'source-resumed', {
      pointId: peer.pointId,
      detail: { source },
    });
    this.broadcast(paused ? 'producerPaused' : 'producerResumed', {
      producerId,
      pointId: peer.pointId,
      source,
    });
  }

  // ---- consumers ---------------------------------------------------------------------

  async consume(peer: Peer, transportId: string, producerId: string) {
    const { router } = await this.#ready();
    const transport = this.#transport(peer, transportId, 'recv');
    if (!peer.rtpCapabilities) {
      throw new errors.NOT_JOINED();
    }
    const owner = this.#producerOwner(producerId);
    if (!owner) {
      throw new errors.PRODUCER_NOT_FOUND(producerId);
    }
    if (peer.consumers.size >= MAX_CONSUMERS_PER_PEER) {
      throw new errors.TOO_MANY_REQUESTS(`at most ${MAX_CONSUMERS_PER_PEER} consumers per point`);
    }
    if (!router.canConsume({ producerId, rtpCapabilities: peer.rtpCapabilities })) {
      throw new errors.CANNOT_CONSUME(producerId);
    }
    const producer = owner.producers.get(producerId) as types.Producer;
    const source = (producer.appData as { source: MediaSource }).source;
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
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
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
    await this.#consumer(peer, consumerId).resume();
  }

  async setConsumerPreferredLayers(
    peer: Peer,
    consumerId: string,
    spatialLayer: number,
    temporalLayer: number | undefined,
  ): Promise<void> {
    const consumer = this.#consumer(peer, consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
      return;
    }
    await consumer.setPreferredLayers(
      temporalLayer === undefined ? { spatialLayer } : { spatialLayer, temporalLayer },
    );
  }

  async stats(peer: Peer): Promise<PeerStats> {
    const transports = await Promise.all(
      [...peer.transports.values()].map(async (t) => ({
        id: t.id,
        direction: (t.appData as { direction: 'send' | 'recv' }).direction,
        stats: await t.getStats(),
      })),
    );
    const producers = [...peer.producers.values()].map((p) => ({
      id: p.id,
      kind: p.kind,
      source: (p.appData as { source: MediaSource }).source,
      paused: p.paused,
      score: p.score,
    }));
    const consumers = [...peer.consumers.values()].map((c) => ({
      id: c.id,
      producerId: c.producerId,
      pointId: (c.appData as { pointId: string }).pointId,
      kind: c.kind,
      paused: c.paused,
      producerPaused: c.producerPaused,
      score: c.score,
      currentLayers: c.currentLayers ?? null,
    }));
    return { transports, producers, consumers };
  }

  // ---- controls (operator and host) --------------------------------------------------

  async setPointMuted(actor: Peer, pointId: string, muted: boolean): Promise<void> {
    this.#requireControl(actor);
    const info = this.#point(pointId);
    const { session } = this;
    if (muted) {
      session.mutedByOperator.add(pointId);
    } else {
      session.mutedByOperator.delete(pointId);
    }
    info.mutedByOperator = muted;
    const target = this.peers.get(pointId);
    const mic = target?.producerBySource('mic');
    if (mic) {
      await (muted ? mic.pause() : mic.resume());
    }
    session.record(muted ? 'point-muted' : 'point-unmuted', { pointId, by: actor.pointId });
    target?.channel.notify('mutedByOperator', { muted, by: actor.pointId });
    this.broadcast('pointUpdated', { point: info });
  }

  removePoint(actor: Peer, pointId: string): void {
    this.#requireControl(actor);
    this.#point(pointId);
    if (pointId === actor.pointId) {
      throw new errors.FORBIDDEN('a point cannot remove itself; leave instead');
    }
    this.session.removed.add(pointId);
    this.session.record('point-removed', { pointId, by: actor.pointId });
    const target = this.peers.get(pointId);
    if (target) {
      target.channel.notify('kicked', { reason: 'removed', by: actor.pointId });
      target.channel.close(CLOSE_CODES.removed, 'removed by the operator');
      this.leave(target, 'removed');
    }
  }

  setLocked(actor: Peer, locked: boolean): void {
    this.#requireControl(actor);
    this.session.locked = locked;
    this.session.record(locked ? 'session-locked' : 'session-unlocked', { by: actor.pointId });
    this.broadcast('sessionLocked', { locked, by: actor.pointId });
  }

  /** Set by whoever records this room (the session recorder). */
  recordingControl: ((enabled: boolean, by: string) => Promise<void>) | null = null;

  async setRecording(actor: Peer, enabled: boolean): Promise<void> {
    this.#requireControl(actor);
    if (!this.recordingControl) {
      throw new errors.UNAVAILABLE('this server does not record');
    }
    await this.recordingControl(enabled, actor.pointId);
  }

  setSpotlight(actor: Peer, pointId: string | null): void {
    this.#requireControl(actor);
    if (pointId !== null) {
      this.#point(pointId);
    }
    this.session.spotlight = pointId;
    this.session.record('spotlight', { by: actor.pointId, detail: { pointId } });
    this.broadcast('spotlight', { pointId, by: actor.pointId });
  }

  // ---- plumbing ----------------------------------------------------------------------

  /** To the operator and host pages only: what they can act on (recording problems). */
  notifyChairs<N extends NotificationMethod>(method: N, data: SignalingNotifications[N]): void {
    for (const peer of this.peers.values()) {
      if (!peer.closed && canControl(peer.claims.role)) {
        peer.channel.notify(method, data);
      }
    }
  }

  broadcast<N extends NotificationMethod>(
    method: N,
    data: SignalingNotifications[N],
    exceptPointId?: string,
  ): void {
    for (const peer of this.peers.values()) {
      if (peer.pointId !== exceptPointId && !peer.closed) {
        peer.channel.notify(method, data);
      }
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const timer of this.#graceTimers.values()) {
      clearTimeout(timer);
    }
    this.#graceTimers.clear();
    for (const peer of this.peers.values()) {
      peer.close();
    }
    this.peers.clear();
    this.#media?.router.close();
    this.#media = null;
    this.safeEmit('@close');
  }

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
    const pooled = await this.#options.pool.pickWorker();
    const router = await pooled.worker.createRouter({
      mediaCodecs: MEDIA_CODECS,
      appData: { sessionId: this.session.id },
    });
    const speaker = await router.createActiveSpeakerObserver({ interval: 300 });
    speaker.on('dominantspeaker', ({ producer }) => {
      const pointId = (producer.appData as { pointId: string }).pointId;
      if (pointId !== this.#activeSpeaker) {
        this.#activeSpeaker = pointId;
        this.broadcast('activeSpeaker', { pointId });
      }
    });
    router.on('workerclose', () => this.#onWorkerLost(pooled));
    if (this.#closed) {
      router.close();
      return;
    }
    this.#media = { pooled, router, speaker };
    this.#log.info({ workerPid: pooled.worker.pid, slot: pooled.slot }, 'session media placed');
  }

  #onWorkerLost(lost: PooledWorker): void {
    if (this.#closed || this.#options.pool.closed) {
      return;
    }
    this.#log.warn({ workerPid: lost.worker.pid }, 'worker lost: moving the session');
    this.session.record('media-reset', {
      detail: { reason: 'worker-died', workerPid: lost.worker.pid },
    });
    this.#media = null;
    this.#activeSpeaker = null;
    for (const peer of this.peers.values()) {
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
      this.broadcast('mediaReset', { reason: 'worker-died' });
    });
  }

  #cancelGrace(pointId: string): void {
    const timer = this.#graceTimers.get(pointId);
    if (timer) {
      clearTimeout(timer);
      this.#graceTimers.delete(pointId);
    }
  }

  #requireControl(actor: Peer): void {
    if (!canControl(actor.claims.role)) {
      throw new errors.FORBIDDEN('only the operator or the host may use session controls');
    }
  }

  #point(pointId: string): PointInfo {
    const info = this.session.points.get(pointId);
    if (!info) {
      throw new errors.POINT_NOT_FOUND(pointId);
    }
    return info;
  }

  #webRtcTransport(peer: Peer, transportId: string): types.WebRtcTransport {
    const transport = this.#transport(peer, transportId);
    if (transport.type !== 'webrtc') {
      throw new errors.INVALID_PARAMS(`data.transportId: ${transportId} is not a WebRTC transport`);
    }
    return transport;
  }

  #transport(
    peer: Peer,
    transportId: string,
    direction?: 'send' | 'recv',
  ): types.WebRtcTransport | types.PlainTransport {
    const transport = peer.transports.get(transportId);
    if (!transport) {
      throw new errors.TRANSPORT_NOT_FOUND(transportId);
    }
    if (direction && (transport.appData as { direction: string }).direction !== direction) {
      throw new errors.INVALID_PARAMS(
        `data.transportId: ${transportId} is not a ${direction} transport`,
      );
    }
    return transport;
  }

  #ownProducer(peer: Peer, producerId: string): types.Producer {
    const producer = peer.producers.get(producerId);
    if (!producer) {
      throw new errors.PRODUCER_NOT_FOUND(producerId);
    }
    return producer;
  }

  #consumer(peer: Peer, consumerId: string): types.Consumer {
    const consumer = peer.consumers.get(consumerId);
    if (!consumer) {
      throw new errors.CONSUMER_NOT_FOUND(consumerId);
    }
    return consumer;
  }

  #producerOwner(producerId: string): Peer | undefined {
    for (const peer of this.peers.values()) {
      if (peer.producers.has(producerId)) {
        return peer;
      }
    }
    return undefined;
  }

  #producerInfo(pointId: string, producer: types.Producer): ProducerInfo {
    return {
      producerId: producer.id,
      pointId,
      kind: producer.kind,
      source: (producer.appData as { source: MediaSource }).source,
      paused: producer.paused,
    };
  }

  #producerInfos(exceptPointId: string): ProducerInfo[] {
    const out: ProducerInfo[] = [];
    for (const peer of this.peers.values()) {
      if (peer.pointId === exceptPointId) {
        continue;
      }
      for (const producer of peer.producers.values()) {
        out.push(this.#producerInfo(peer.pointId, producer));
      }
    }
    return out;
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
