import { Device, type types } from 'mediasoup-client';
import type {
  JoinResult,
  MediaSource,
  ProducerInfo,
  RequestOf,
  ResultOf,
  SignalingMethod,
} from '../../protocol/signaling.js';
import {
  DiemcauError,
  type RemoteTrackStats,
  type SessionEvents,
  type TrackEvent,
} from './types.js';
import { CAMERA_ENCODINGS, SCREEN_ENCODINGS, cameraEncodingsUpTo, sentInFull } from './capture.js';
import { remoteTrackStats } from './remoteTrackStats.js';

/** What the engine needs from the session it serves. */
export interface EngineHost {
  request<M extends SignalingMethod>(method: M, data: RequestOf<M>): Promise<ResultOf<M>>;
  emit<K extends 'track' | 'trackEnded' | 'localTrack' | 'trackLayers'>(
    event: K,
    ...args: SessionEvents[K]
  ): void;
  /** This point's id (its own producers are not consumed back). */
  pointId(): string | null;
  /** Whether the operator holds this point's microphone muted. */
  mutedByOperator(): boolean;
  /** A transport stayed down after an ICE restart: the session rejoins. */
  transportLost(): void;
}

interface LocalMedia {
  track: MediaStreamTrack;
  producer: types.Producer | null;
  paused: boolean;
  /** Tracks the SDK asked the browser for are stopped by the SDK; yours are not. */
  ownedBySdk: boolean;
}

interface RemoteMedia {
  consumer: types.Consumer;
  pointId: string;
  source: MediaSource;
}

/**
 * A point's media on mediasoup-client: the device, one send and one receive transport,
 * a producer per local source and a consumer per remote one. Everything is rebuilt
 * from scratch after each (re)join — a new *generation* — while the local tracks and
 * what the application asked for (published sources, paused ones, preferred layers)
 * carry over.
 */
export class MediaEngine {
  readonly #host: EngineHost;
  readonly #local = new Map<MediaSource, LocalMedia>();
  readonly #remote = new Map<string, RemoteMedia>();
  readonly #preferredLayers = new Map<string, number>();
  /** Producers announced while this generation's receive transport was being made. */
  #pendingProducers: ProducerInfo[] = [];
  /** Producers consumed (or being consumed) in this generation: never twice. */
  #consumed = new Set<string>();
  #device: Device | null = null;
  #send: types.Transport | null = null;
  #recv: types.Transport | null = null;
  #generation = 0;

  constructor(host: EngineHost) {
    this.#host = host;
  }

  get loaded(): boolean {
    return this.#device !== null;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    if (!this.#device) {
      throw new DiemcauError('DC_ERR_DISCONNECTED', 'Not connected');
    }
    return this.#device.rtpCapabilities;
  }

  async load(routerRtpCapabilities: types.RtpCapabilities): Promise<void> {
    const device = new Device();
    await device.load({ routerRtpCapabilities });
    this.#device = device;
  }

  /** Starts a new generation: what the previous one built is dropped. Returns its number. */
  reset(): number {
    this.#generation += 1;
    this.#closeMedia();
    this.#pendingProducers = [];
    this.#consumed = new Set();
    return this.#generation;
  }

  isCurrent(generation: number): boolean {
    return generation === this.#generation;
  }

  /**
   * Builds this generation's media after a join: receive first (after a media reset
   * every point rebuilds at once, and the others' new producers may already be
   * announced), then send what this point publishes.
   */
  async build(generation: number, joined: JoinResult, publishes: boolean): Promise<void> {
    this.#recv = await this.#createTransport('recv');
    const announced = [...joined.producers, ...this.#pendingProducers.splice(0)];
    const receiving = Promise.all(announced.map((p) => this.consume(p, generation)));
    if (publishes) {
      this.#send = await this.#createTransport('send');
      for (const source of this.#local.keys()) {
        await this.#produce(source, generation);
      }
    }
    await receiving;
  }

  // ---- local media ---------------------------------------------------------------

  /** Adds (or replaces) a local source; sent now if this generation can send. */
  async publish(source: MediaSource, track: MediaStreamTrack, ownedBySdk: boolean): Promise<void> {
    const previous = this.#local.get(source);
    if (previous?.ownedBySdk && previous.track !== track) {
      previous.track.stop();
    }
    this.#local.set(source, {
      track,
      producer: previous?.producer ?? null,
      paused: previous?.paused ?? false,
      ownedBySdk,
    });
    track.addEventListener('ended', () => {
      if (this.#local.get(source)?.track === track) {
        void this.unpublish(source);
      }
    });
    if (this.#send) {
      await this.#produce(source, this.#generation);
    }
  }

  async unpublish(source: MediaSource): Promise<void> {
    const entry = this.#local.get(source);
    if (!entry) {
      return;
    }
    this.#local.delete(source);
    if (entry.producer && !entry.producer.closed) {
      const producerId = entry.producer.id;
      entry.producer.close();
      await this.#host.request('closeProducer', { producerId }).catch(() => undefined);
    }
    if (entry.ownedBySdk) {
      entry.track.stop();
    }
    this.#host.emit('localTrack', { source, track: null });
  }

  isPaused(source: MediaSource): boolean {
    return this.#local.get(source)?.paused ?? false;
  }

  localTrack(source: MediaSource): MediaStreamTrack | null {
    return this.#local.get(source)?.track ?? null;
  }

  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const entry = this.#local.get(source);
    if (!entry) {
      return;
    }
    entry.paused = paused;
    const producer = entry.producer;
    if (!producer || producer.closed) {
      return;
    }
    if (paused) {
      producer.pause();
      await this.#host.request('pauseProducer', { producerId: producer.id });
    } else {
      await this.#host.request('resumeProducer', { producerId: producer.id });
      producer.resume();
    }
  }

  /** The server already paused or resumed the microphone: keep the local side in step. */
  followOperatorMute(muted: boolean): void {
    const mic = this.#local.get('mic');
    if (mic?.producer && !mic.producer.closed) {
      if (muted) {
        mic.producer.pause();
      } else {
        mic.producer.resume();
      }
      mic.paused = muted;
    }
  }

  // ---- remote media --------------------------------------------------------------

  get tracks(): TrackEvent[] {
    return [...this.#remote.values()]
      .filter((r) => !r.consumer.closed)
      .map((r) => ({
        pointId: r.pointId,
        kind: r.consumer.kind,
        source: r.source,
        track: r.consumer.track,
        consumerId: r.consumer.id,
      }));
  }

  async consume(info: ProducerInfo, generation = this.#generation): Promise<void> {
    const recv = this.#recv;
    if (generation !== this.#generation || info.pointId === this.#host.pointId()) {
      return;
    }
    if (!recv || recv.closed) {
      // Announced before our receive transport exists: consumed as soon as it does.
      this.#pendingProducers.push(info);
      return;
    }
    if (this.#consumed.has(info.producerId)) {
      return;
    }
    this.#consumed.add(info.producerId);
    try {
      const r = await this.#host.request('consume', {
        transportId: recv.id,
        producerId: info.producerId,
      });
      if (generation !== this.#generation || recv.closed) {
        return;
      }
      const consumer = await recv.consume({
        id: r.id,
        producerId: r.producerId,
        kind: r.kind,
        rtpParameters: r.rtpParameters as types.RtpParameters,
      });
      this.#remote.set(consumer.id, { consumer, pointId: r.pointId, source: r.source });
      this.#host.emit('track', {
        pointId: r.pointId,
        kind: r.kind,
        source: r.source,
        track: consumer.track,
        consumerId: consumer.id,
      });
      await this.#host.request('resumeConsumer', { consumerId: consumer.id });
      const layer = this.#preferredLayers.get(r.pointId);
      if (layer !== undefined && r.type === 'simulcast') {
        await this.#host.request('setConsumerPreferredLayers', {
          consumerId: consumer.id,
          spatialLayer: layer,
        });
      }
    } catch {
      // The producer went away meanwhile, or the connection dropped: recovery redoes it.
    }
  }

  dropConsumer(consumerId: string): void {
    const remote = this.#remote.get(consumerId);
    if (!remote) {
      return;
    }
    this.#remote.delete(consumerId);
    remote.consumer.close();
    this.#host.emit('trackEnded', {
      pointId: remote.pointId,
      kind: remote.consumer.kind,
      source: remote.source,
      consumerId,
    });
  }

  /** The consumers of a producer that closed (they close with it). */
  dropProducer(producerId: string): void {
    for (const [consumerId, remote] of [...this.#remote]) {
      if (remote.consumer.producerId === producerId) {
        this.dropConsumer(consumerId);
      }
    }
  }

  layersChanged(
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number } | null,
  ): void {
    const remote = this.#remote.get(consumerId);
    if (remote) {
      this.#host.emit('trackLayers', {
        pointId: remote.pointId,
        source: remote.source,
        consumerId,
        layers,
      });
    }
  }

  async setPreferredLayer(pointId: string, spatialLayer: 0 | 1 | 2): Promise<void> {
    this.#preferredLayers.set(pointId, spatialLayer);
    await Promise.all(
      [...this.#remote.values()]
        .filter((r) => r.pointId === pointId && r.consumer.kind === 'video')
        .map((r) =>
          this.#host
            .request('setConsumerPreferredLayers', { consumerId: r.consumer.id, spatialLayer })
            .catch(() => undefined),
        ),
    );
  }

  /**
   * Dynacast: the server asks a producer of this point to send its simulcast layers up
   * to `maxSpatialLayer` in full; nobody receives those above, sent as a trickle
   * (capture.ts). Set on the sender itself, which keeps them through renegotiations;
   * told again now and then, it puts right a change the browser did not take.
   */
  async sendLayers(producerId: string, maxSpatialLayer: number): Promise<void> {
    const producer = [...this.#local.values()].find((e) => e.producer?.id === producerId)?.producer;
    const sender = producer?.rtpSender;
    if (!producer || producer.closed || producer.kind !== 'video' || !sender) {
      return;
    }
    try {
      const params = sender.getParameters();
      const encodings = cameraEncodingsUpTo(params.encodings, maxSpatialLayer);
      if (encodings) {
        params.encodings = encodings;
        await sender.setParameters(params);
      }
    } catch {
      // A producer closing under the change: its successor sends every layer anew.
    }
  }

  /**
   * Which simulcast layers a source's sender sends in full now (false: a trickle);
   * null: not sending it simulcast.
   */
  sendingLayers(source: MediaSource): boolean[] | null {
    const producer = this.#local.get(source)?.producer;
    const encodings =
      producer && !producer.closed ? producer.rtpSender?.getParameters().encodings : undefined;
    return encodings && encodings.length > 1 ? encodings.map((e, i) => sentInFull(e, i)) : null;
  }

  /** What each remote track has received and decoded so far. */
  getStats(): Promise<RemoteTrackStats[]> {
    return remoteTrackStats([...this.#remote.values()]);
  }

  /** Everything closed for good: transports, consumers, and the tracks the SDK opened. */
  close(): void {
    this.#generation += 1;
    this.#closeMedia();
    for (const entry of this.#local.values()) {
      if (entry.ownedBySdk) {
        entry.track.stop();
      }
    }
  }

  // ---- transports and producers ----------------------------------------------------

  async #createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const info = await this.#host.request('createWebRtcTransport', { direction });
    const device = this.#device as Device;
    const options = info as unknown as types.TransportOptions;
    const transport =
      direction === 'send'
        ? device.createSendTransport(options)
        : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#host
        .request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.#host
          .request('produce', {
            transportId: transport.id,
            kind,
            rtpParameters,
            source: (appData as { source: MediaSource }).source,
          })
          .then(callback, errback);
      });
    }
    transport.on('connectionstatechange', (state) => this.#onTransportState(transport, state));
    return transport;
  }

  /** ICE restart first; if the transport is still not connected 5 s later, a full rejoin. */
  #onTransportState(transport: types.Transport, state: string): void {
    if (transport.closed || (transport !== this.#send && transport !== this.#recv)) {
      return;
    }
    if (state !== 'failed' && state !== 'disconnected') {
      return;
    }
    const generation = this.#generation;
    const delay = state === 'failed' ? 0 : 2000;
    const down = (): boolean =>
      transport.connectionState === 'failed' || transport.connectionState === 'disconnected';
    setTimeout(() => {
      if (transport.closed || generation !== this.#generation || !down()) {
        return;
      }
      this.#host
        .request('restartIce', { transportId: transport.id })
        .then(({ iceParameters }) =>
          transport.restartIce({ iceParameters: iceParameters as types.IceParameters }),
        )
        .catch(() => undefined);
      setTimeout(() => {
        if (
          !transport.closed &&
          generation === this.#generation &&
          transport.connectionState !== 'connected'
        ) {
          this.#host.transportLost();
        }
      }, 5000);
    }, delay);
  }

  async #produce(source: MediaSource, generation: number): Promise<void> {
    const entry = this.#local.get(source);
    const send = this.#send;
    if (!entry || !send || send.closed || generation !== this.#generation) {
      return;
    }
    if (entry.producer && !entry.producer.closed) {
      entry.producer.close();
    }
    const producer = await send.produce({
      track: entry.track,
      // The track outlives this producer: it is sent again after a reconnection.
      stopTracks: false,
      ...(source === 'camera' ? { encodings: CAMERA_ENCODINGS } : {}),
      ...(source === 'screen' ? { encodings: SCREEN_ENCODINGS } : {}),
      ...(source === 'mic'
        ? { codecOptions: { opusStereo: false, opusDtx: false, opusFec: true } }
        : {}),
      ...(source !== 'mic' ? { codecOptions: { videoGoogleStartBitrate: 500 } } : {}),
      appData: { source },
    });
    entry.producer = producer;
    const operatorMuted = source === 'mic' && this.#host.mutedByOperator();
    if (entry.paused || operatorMuted) {
      producer.pause();
      if (entry.paused && !operatorMuted) {
        await this.#host
          .request('pauseProducer', { producerId: producer.id })
          .catch(() => undefined);
      }
    }
    this.#host.emit('localTrack', { source, track: entry.track });
  }

  #closeMedia(): void {
    for (const consumerId of [...this.#remote.keys()]) {
      this.dropConsumer(consumerId);
    }
    for (const entry of this.#local.values()) {
      entry.producer = null;
    }
    this.#send?.close();
    this.#recv?.close();
    this.#send = null;
    this.#recv = null;
  }
}
