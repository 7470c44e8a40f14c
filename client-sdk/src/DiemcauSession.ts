import { LocalRecording, type LocalRecordingOptions } from './LocalRecording.js';
import { Device, type types } from 'mediasoup-client';
import { SignalingClient } from './SignalingClient.js';
import { TypedEmitter } from './TypedEmitter.js';
import {
  type ConnectionState,
  DiemcauError,
  type MediaSource,
  type PointInfo,
  type RemoteTrackStats,
  type Role,
  type SessionEvents,
  type TrackEvent,
} from './types.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The invitation token (from the operator, or `diemcau token`). */
  token: string;
  /** Server address: `https://host:port`, or the `wss://…/ws` URL. Default: this page's origin. */
  url?: string;
  /** Refuse a token for any other session (DC_ERR_TOKEN_WRONG_SESSION). */
  sessionId?: string;
}

/** What to send: `true` asks the browser for the default device, or pass your own track. */
export interface PublishOptions {
  audio?: boolean | MediaStreamTrack;
  video?: boolean | MediaStreamTrack;
  /** Share the screen (asks the browser's picker) as a second video. */
  screen?: boolean | MediaStreamTrack;
}

interface AuthResult {
  sessionId: string;
  pointId: string;
  pointName: string;
  pointKind: 'central' | 'delegate';
  role: Role;
  expiresAt: string;
  routerRtpCapabilities: types.RtpCapabilities;
}

interface ProducerInfo {
  producerId: string;
  pointId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  paused: boolean;
}

interface JoinResult {
  sessionId: string;
  you: PointInfo;
  points: PointInfo[];
  producers: ProducerInfo[];
  locked: boolean;
  spotlight: string | null;
  activeSpeaker: string | null;
  recording: boolean;
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

/** Close codes after which reconnecting would be wrong. */
const FINAL_CLOSE = new Map<number, string>([
  [4000, 'replaced'],
  [4001, 'auth-failed'],
  [4003, 'removed'],
]);
/** Server errors that no retry can fix. */
const FINAL_ERRORS = new Set([
  'DC_ERR_TOKEN_MISSING',
  'DC_ERR_TOKEN_EXPIRED',
  'DC_ERR_TOKEN_INVALID',
  'DC_ERR_TOKEN_WRONG_SESSION',
  'DC_ERR_POINT_REMOVED',
  'DC_ERR_SESSION_LOCKED',
  'DC_ERR_SESSION_FULL',
]);

/**
 * Simulcast for the camera: the SFU forwards the small layer to grid tiles and the large
 * one to the speaker's tile, so 10 points fit a 30 Mbit/s central link.
 */
const CAMERA_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 120_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 350_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];
const SCREEN_ENCODINGS: types.RtpEncodingParameters[] = [{ maxBitrate: 1_200_000 }];

/**
 * A bridge point's membership in a session. Made by {@link connect}; reconnects on its
 * own after a signaling drop, an ICE failure or a media server restart, republishing
 * what it was sending, until {@link DiemcauSession.leave} or a final refusal.
 */
export class DiemcauSession extends TypedEmitter<SessionEvents> {
  readonly #options: ConnectOptions;
  readonly #local = new Map<MediaSource, LocalMedia>();
  readonly #remote = new Map<string, RemoteMedia>();
  readonly #points = new Map<string, PointInfo>();
  readonly #preferredLayers = new Map<string, number>();
  /** Producers announced while this generation's receive transport was being made. */
  #pendingProducers: ProducerInfo[] = [];
  /** Producers consumed (or being consumed) in this generation: never twice. */
  #consumed = new Set<string>();
  #signaling: SignalingClient | null = null;
  #device: Device | null = null;
  #send: types.Transport | null = null;
  #recv: types.Transport | null = null;
  #me: AuthResult | null = null;
  #state: ConnectionState = 'connecting';
  #activeSpeaker: string | null = null;
  #spotlight: string | null = null;
  #locked = false;
  #recording = false;
  #mutedByOperator = false;
  #generation = 0;
  #recovery: Promise<void> | null = null;
  #recoverAgain = false;
  #closed = false;

  /** @internal Use {@link connect}. */
  #localRecording: LocalRecording | null = null;

  constructor(options: ConnectOptions) {
    super();
    this.#options = options;
  }

  /** The bridge points present, this one included. */
  get points(): PointInfo[] {
    return [...this.#points.values()];
  }

  /** This point, as the token names it. */
  get me(): {
    pointId: string;
    name: string;
    role: Role;
    kind: 'central' | 'delegate';
    sessionId: string;
  } | null {
    const me = this.#me;
    return me
      ? {
          pointId: me.pointId,
          name: me.pointName,
          role: me.role,
          kind: me.pointKind,
          sessionId: me.sessionId,
        }
      : null;
  }

  get connectionState(): ConnectionState {
    return this.#state;
  }

  get activeSpeaker(): string | null {
    return this.#activeSpeaker;
  }

  get spotlight(): string | null {
    return this.#spotlight;
  }

  get locked(): boolean {
    return this.#locked;
  }

  /** Whether the session is being recorded: a delegate page must show it. */
  get recording(): boolean {
    return this.#recording;
  }

  get mutedByOperator(): boolean {
    return this.#mutedByOperator;
  }

  /**
   * The remote tracks being received now. Tracks that arrived while {@link connect} was
   * still joining were announced before your listeners existed: start from this list.
   */
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

  /** The local track being sent for a source, if any. */
  localTrack(source: MediaSource): MediaStreamTrack | null {
    return this.#local.get(source)?.track ?? null;
  }

  /** @internal First connection; rejects with a {@link DiemcauError} if refused. */
  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (err) {
      this.#finish();
      throw err;
    }
  }

  /** Starts sending microphone, camera and/or screen. Observers cannot publish. */
  async publish(options: PublishOptions = { audio: true, video: true }): Promise<void> {
    if (this.#me?.role === 'observer') {
      throw new DiemcauError('DC_ERR_FORBIDDEN', 'Observers receive only');
    }
    const wanted: [MediaSource, boolean | MediaStreamTrack | undefined][] = [
      ['mic', options.audio],
      ['camera', options.video],
      ['screen', options.screen],
    ];
    for (const [source, want] of wanted) {
      if (want === undefined || want === false) {
        continue;
      }
      const track = want === true ? await captureTrack(source) : want;
      const previous = this.#local.get(source);
      if (previous?.ownedBySdk && previous.track !== track) {
        previous.track.stop();
      }
      this.#local.set(source, {
        track,
        producer: previous?.producer ?? null,
        paused: previous?.paused ?? false,
        ownedBySdk: want === true,
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
  }

  /** Stops sending a source. */
  async unpublish(source: MediaSource): Promise<void> {
    const entry = this.#local.get(source);
    if (!entry) {
      return;
    }
    this.#local.delete(source);
    if (entry.producer && !entry.producer.closed) {
      const producerId = entry.producer.id;
      entry.producer.close();
      await this.#signaling?.request('closeProducer', { producerId }).catch(() => undefined);
    }
    if (entry.ownedBySdk) {
      entry.track.stop();
    }
    this.emit('localTrack', { source, track: null });
  }

  /** Mutes or unmutes this point's microphone. Unmuting fails while the operator has it muted. */
  async setMicMuted(muted: boolean): Promise<void> {
    await this.#setPaused('mic', muted);
  }

  /** Turns this point's camera off or on (the track keeps running, nothing is sent). */
  async setCameraOff(off: boolean): Promise<void> {
    await this.#setPaused('camera', off);
  }

  isPaused(source: MediaSource): boolean {
    return this.#local.get(source)?.paused ?? false;
  }

  /**
   * Which simulcast layer to receive from a point: 0 small (grid tile), 1 medium,
   * 2 large (the speaker, the spotlight).
   */
  async setPreferredLayer(pointId: string, spatialLayer: 0 | 1 | 2): Promise<void> {
    this.#preferredLayers.set(pointId, spatialLayer);
    await Promise.all(
      [...this.#remote.values()]
        .filter((r) => r.pointId === pointId && r.consumer.kind === 'video')
        .map((r) =>
          this.#request('setConsumerPreferredLayers', {
            consumerId: r.consumer.id,
            spatialLayer,
          }).catch(() => undefined),
        ),
    );
  }

  /** What each remote track has received and decoded so far. */
  async getStats(): Promise<RemoteTrackStats[]> {
    const out: RemoteTrackStats[] = [];
    for (const remote of this.#remote.values()) {
      if (remote.consumer.closed) {
        continue;
      }
      const report = await remote.consumer.getStats();
      report.forEach((stat: Record<string, unknown>) => {
        if (stat['type'] !== 'inbound-rtp') {
          return;
        }
        out.push({
          pointId: remote.pointId,
          kind: remote.consumer.kind,
          source: remote.source,
          consumerId: remote.consumer.id,
          bytesReceived: Number(stat['bytesReceived'] ?? 0),
          packetsLost: Number(stat['packetsLost'] ?? 0),
          ...(remote.consumer.kind === 'video'
            ? {
                framesDecoded: Number(stat['framesDecoded'] ?? 0),
                frameWidth: Number(stat['frameWidth'] ?? 0),
              }
            : { totalSamplesReceived: Number(stat['totalSamplesReceived'] ?? 0) }),
        });
      });
    }
    return out;
  }

  // ---- controls: operator and host -------------------------------------------------

  /** Mutes a point's microphone on the server; the point is told. */
  async mutePoint(pointId: string): Promise<void> {
    await this.#request('mutePoint', { pointId });
  }

  async unmutePoint(pointId: string): Promise<void> {
    await this.#request('unmutePoint', { pointId });
  }

  /** Removes a point from the session; it cannot rejoin. */
  async removePoint(pointId: string): Promise<void> {
    await this.#request('removePoint', { pointId });
  }

  /** A locked session admits no new points (those already admitted may reconnect). */
  async lockSession(locked: boolean): Promise<void> {
    await this.#request('lockSession', { locked });
  }

  /** Starts or stops recording the session (operator and host). */
  async setRecording(recording: boolean): Promise<void> {
    await this.#request('setRecording', { recording });
  }

  /**
   * Starts recording, in this browser, what this point sees and hears (every point's
   * picture in a grid, all sound mixed) into a WebM file; `stop()` resolves with it.
   * Ends by itself when the point leaves.
   */
  startLocalRecording(options: LocalRecordingOptions = {}): LocalRecording {
    if (this.#localRecording?.recording) {
      return this.#localRecording;
    }
    this.#localRecording = new LocalRecording(this, options);
    return this.#localRecording;
  }

  /** The local recording under way, if any. */
  get localRecording(): LocalRecording | null {
    return this.#localRecording?.recording ? this.#localRecording : null;
  }

  async setSpotlight(pointId: string | null): Promise<void> {
    await this.#request('spotlight', { pointId });
  }

  /** Leaves the session for good. */
  async leave(): Promise<void> {
    void this.#localRecording?.stop();
    if (this.#closed) {
      return;
    }
    const signaling = this.#signaling;
    this.#closed = true;
    if (signaling && !signaling.closed) {
      await Promise.race([
        signaling.request('leave').catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
    this.#finish();
  }

  // ---- connection and recovery -----------------------------------------------------

  async #open(): Promise<void> {
    const signaling = await SignalingClient.open(wsUrl(this.#options.url), {
      notification: (method, data) => {
        if (this.#signaling === signaling) {
          this.#onNotification(method, data);
        }
      },
      closed: (code, reason) => {
        if (this.#signaling === signaling) {
          this.#onSocketClosed(code, reason);
        }
      },
    });
    this.#signaling = signaling;
    const auth = await signaling.request<AuthResult>('auth', {
      token: this.#options.token,
      ...(this.#options.sessionId !== undefined ? { sessionId: this.#options.sessionId } : {}),
    });
    this.#me = auth;
    if (!this.#device) {
      const device = new Device();
      await device.load({ routerRtpCapabilities: auth.routerRtpCapabilities });
      this.#device = device;
    }
    await this.#buildMedia();
  }

  /** (Re)joins on the current socket and rebuilds transports, producers and consumers. */
  async #buildMedia(): Promise<void> {
    const generation = ++this.#generation;
    this.#closeMedia();
    this.#pendingProducers = [];
    this.#consumed = new Set();
    const device = this.#device as Device;
    const joined = await this.#request<JoinResult>('join', {
      rtpCapabilities: device.rtpCapabilities,
    });
    if (generation !== this.#generation) {
      return;
    }
    this.#syncPoints(joined.points);
    this.#locked = joined.locked;
    this.#spotlight = joined.spotlight;
    this.#activeSpeaker = joined.activeSpeaker;
    this.#mutedByOperator = joined.you.mutedByOperator;
    if (this.#recording !== joined.recording) {
      this.#recording = joined.recording;
      this.emit('recordingState', { recording: this.#recording });
    }
    this.#recv = await this.#createTransport('recv');
    // Receive first, while our own sending is set up: after a media reset every point
    // rebuilds at once, and the others' new producers may already be announced.
    const announced = [...joined.producers, ...this.#pendingProducers.splice(0)];
    const receiving = Promise.all(announced.map((p) => this.#consume(p, generation)));
    if (this.#me?.role !== 'observer') {
      this.#send = await this.#createTransport('send');
      for (const source of this.#local.keys()) {
        await this.#produce(source, generation);
      }
    }
    await receiving;
    if (generation === this.#generation) {
      this.#setState('connected');
    }
  }

  #recover(): void {
    if (this.#closed) {
      return;
    }
    if (this.#recovery) {
      this.#recoverAgain = true;
      return;
    }
    this.#setState('reconnecting');
    this.#recovery = (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        this.#recoverAgain = false;
        try {
          const signaling = this.#signaling;
          if (!signaling || signaling.closed) {
            await this.#open();
          } else {
            await this.#buildMedia();
          }
          if (!this.#recoverAgain) {
            return;
          }
        } catch (err) {
          if (err instanceof DiemcauError && FINAL_ERRORS.has(err.code)) {
            this.emit('error', err);
            this.#finish();
            return;
          }
          await sleep(Math.min(200 * 2 ** attempt, 3000));
        }
      }
    })().finally(() => {
      this.#recovery = null;
    });
  }

  #onSocketClosed(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    const final = FINAL_CLOSE.get(code);
    if (final !== undefined) {
      if (final === 'removed') {
        this.emit('kicked', { reason: reason || 'removed' });
      }
      this.#finish();
      return;
    }
    this.#recover();
  }

  #onNotification(method: string, data: unknown): void {
    const d = data as Record<string, unknown>;
    switch (method) {
      case 'pointJoined':
      case 'pointUpdated': {
        const point = d['point'] as PointInfo;
        const known = this.#points.has(point.id);
        this.#points.set(point.id, point);
        if (point.id === this.#me?.pointId) {
          this.#mutedByOperator = point.mutedByOperator;
        }
        this.emit(known ? 'pointUpdated' : 'pointJoined', point);
        break;
      }
      case 'pointLeft': {
        const pointId = d['pointId'] as string;
        this.#points.delete(pointId);
        this.emit('pointLeft', { pointId, reason: d['reason'] as string });
        break;
      }
      case 'newProducer':
        void this.#consume(d as unknown as ProducerInfo, this.#generation);
        break;
      case 'consumerClosed':
        this.#dropConsumer(d['consumerId'] as string);
        break;
      case 'producerPaused':
      case 'producerResumed':
        this.emit('remoteTrackPaused', {
          pointId: d['pointId'] as string,
          source: d['source'] as MediaSource,
          paused: method === 'producerPaused',
        });
        break;
      case 'activeSpeaker':
        this.#activeSpeaker = d['pointId'] as string | null;
        this.emit('activeSpeaker', { pointId: this.#activeSpeaker });
        break;
      case 'spotlight':
        this.#spotlight = d['pointId'] as string | null;
        this.emit('spotlight', { pointId: this.#spotlight });
        break;
      case 'sessionLocked':
        this.#locked = d['locked'] as boolean;
        this.emit('sessionLocked', { locked: this.#locked });
        break;
      case 'recordingState':
        this.#recording = d['recording'] as boolean;
        this.emit('recordingState', { recording: this.#recording });
        break;
      case 'recordingAlarm':
        this.emit('recordingAlarm', {
          reason: 'disk-low',
          freeMb: Number(d['freeMb']),
          minFreeMb: Number(d['minFreeMb']),
        });
        break;
      case 'recordingProblem':
        this.emit('recordingProblem', {
          kind: String(d['kind']),
          pointId: typeof d['pointId'] === 'string' ? d['pointId'] : null,
          detail: String(d['detail']),
          at: String(d['at']),
        });
        break;
      case 'mutedByOperator': {
        const muted = d['muted'] as boolean;
        this.#mutedByOperator = muted;
        const mic = this.#local.get('mic');
        if (mic?.producer && !mic.producer.closed) {
          // The server already paused or resumed it; keep the local side in step.
          if (muted) {
            mic.producer.pause();
          } else {
            mic.producer.resume();
          }
          mic.paused = muted;
        }
        this.emit('mutedByOperator', { muted, by: d['by'] as string });
        break;
      }
      case 'kicked':
        this.emit('kicked', { reason: d['reason'] as string, by: d['by'] as string });
        this.#finish();
        break;
      case 'mediaReset':
        this.#recover();
        break;
      default:
        break;
    }
  }

  async #createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const info = await this.#request<{
      id: string;
      iceParameters: types.IceParameters;
      iceCandidates: types.IceCandidate[];
      dtlsParameters: types.DtlsParameters;
    }>('createWebRtcTransport', { direction });
    const device = this.#device as Device;
    const transport =
      direction === 'send' ? device.createSendTransport(info) : device.createRecvTransport(info);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(
        () => callback(),
        errback,
      );
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.#request<{ id: string }>('produce', {
          transportId: transport.id,
          kind,
          rtpParameters,
          source: (appData as { source: MediaSource }).source,
        }).then(callback, errback);
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
    setTimeout(() => {
      if (transport.closed || generation !== this.#generation) {
        return;
      }
      if (transport.connectionState !== 'failed' && transport.connectionState !== 'disconnected') {
        return;
      }
      this.#request<{ iceParameters: types.IceParameters }>('restartIce', {
        transportId: transport.id,
      })
        .then(({ iceParameters }) => transport.restartIce({ iceParameters }))
        .catch(() => undefined);
      setTimeout(() => {
        if (
          !transport.closed &&
          generation === this.#generation &&
          transport.connectionState !== 'connected'
        ) {
          this.#recover();
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
    const operatorMuted = source === 'mic' && this.#mutedByOperator;
    if (entry.paused || operatorMuted) {
      producer.pause();
      if (entry.paused && !operatorMuted) {
        await this.#request('pauseProducer', { producerId: producer.id }).catch(() => undefined);
      }
    }
    this.emit('localTrack', { source, track: entry.track });
  }

  async #setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const entry = this.#local.get(source);
    if (!entry) {
      return;
    }
    if (!paused && source === 'mic' && this.#mutedByOperator) {
      throw new DiemcauError(
        'DC_ERR_MUTED_BY_OPERATOR',
        'The operator has muted this bridge point; only the operator can unmute it',
      );
    }
    entry.paused = paused;
    const producer = entry.producer;
    if (!producer || producer.closed) {
      return;
    }
    if (paused) {
      producer.pause();
      await this.#request('pauseProducer', { producerId: producer.id });
    } else {
      await this.#request('resumeProducer', { producerId: producer.id });
      producer.resume();
    }
  }

  async #consume(info: ProducerInfo, generation: number): Promise<void> {
    const recv = this.#recv;
    if (generation !== this.#generation || info.pointId === this.#me?.pointId) {
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
      const r = await this.#request<{
        id: string;
        producerId: string;
        pointId: string;
        source: MediaSource;
        kind: 'audio' | 'video';
        rtpParameters: types.RtpParameters;
        type: string;
      }>('consume', { transportId: recv.id, producerId: info.producerId });
      if (generation !== this.#generation || recv.closed) {
        return;
      }
      const consumer = await recv.consume({
        id: r.id,
        producerId: r.producerId,
        kind: r.kind,
        rtpParameters: r.rtpParameters,
      });
      this.#remote.set(consumer.id, { consumer, pointId: r.pointId, source: r.source });
      this.emit('track', {
        pointId: r.pointId,
        kind: r.kind,
        source: r.source,
        track: consumer.track,
        consumerId: consumer.id,
      });
      await this.#request('resumeConsumer', { consumerId: consumer.id });
      const layer = this.#preferredLayers.get(r.pointId);
      if (layer !== undefined && r.type === 'simulcast') {
        await this.#request('setConsumerPreferredLayers', {
          consumerId: consumer.id,
          spatialLayer: layer,
        });
      }
    } catch {
      // The producer went away meanwhile, or the connection dropped: recovery redoes it.
    }
  }

  #dropConsumer(consumerId: string): void {
    const remote = this.#remote.get(consumerId);
    if (!remote) {
      return;
    }
    this.#remote.delete(consumerId);
    remote.consumer.close();
    this.emit('trackEnded', {
      pointId: remote.pointId,
      kind: remote.consumer.kind,
      source: remote.source,
      consumerId,
    });
  }

  #syncPoints(points: PointInfo[]): void {
    const present = new Set(points.map((p) => p.id));
    for (const id of [...this.#points.keys()]) {
      if (!present.has(id)) {
        this.#points.delete(id);
        this.emit('pointLeft', { pointId: id, reason: 'left' });
      }
    }
    for (const point of points) {
      const known = this.#points.has(point.id);
      this.#points.set(point.id, point);
      this.emit(known ? 'pointUpdated' : 'pointJoined', point);
    }
  }

  #closeMedia(): void {
    for (const consumerId of [...this.#remote.keys()]) {
      this.#dropConsumer(consumerId);
    }
    for (const entry of this.#local.values()) {
      entry.producer = null;
    }
    this.#send?.close();
    this.#recv?.close();
    this.#send = null;
    this.#recv = null;
  }

  #finish(): void {
    this.#closed = true;
    this.#generation += 1;
    this.#closeMedia();
    for (const entry of this.#local.values()) {
      if (entry.ownedBySdk) {
        entry.track.stop();
      }
    }
    this.#signaling?.close(1000, 'left');
    this.#setState('closed');
  }

  #setState(state: ConnectionState): void {
    if (this.#state !== state) {
      this.#state = state;
      this.emit('connectionState', state);
    }
  }

  #request<T = unknown>(method: string, data: unknown = {}): Promise<T> {
    const signaling = this.#signaling;
    if (!signaling) {
      return Promise.reject(new DiemcauError('DC_ERR_DISCONNECTED', 'Not connected'));
    }
    return signaling.request<T>(method, data);
  }
}

function wsUrl(url: string | undefined): string {
  const base = url ?? globalThis.location.origin;
  if (/^wss?:/.test(base)) {
    return base;
  }
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/ws';
  u.search = '';
  return u.toString();
}

async function captureTrack(source: MediaSource): Promise<MediaStreamTrack> {
  if (source === 'screen') {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 } });
    return stream.getVideoTracks()[0] as MediaStreamTrack;
  }
  if (source === 'mic') {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    return stream.getAudioTracks()[0] as MediaStreamTrack;
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } },
  });
  return stream.getVideoTracks()[0] as MediaStreamTrack;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
