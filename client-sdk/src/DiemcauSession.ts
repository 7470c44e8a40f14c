import type { types } from 'mediasoup-client';
import type {
  AuthResult,
  MediaSource,
  Notification,
  PointInfo,
  RequestOf,
  ResultOf,
  Role,
  SignalingMethod,
} from '../../protocol/signaling.js';
import { LocalRecording, type LocalRecordingOptions } from './LocalRecording.js';
import { captureTrack } from './capture.js';
import { MediaEngine } from './MediaEngine.js';
import { ReconnectPolicy } from './ReconnectPolicy.js';
import { RoomState } from './RoomState.js';
import { SignalClient } from './SignalClient.js';
import { TypedEmitter } from './TypedEmitter.js';
import {
  type ConnectOptions,
  type ConnectionState,
  DiemcauError,
  type PointQualityInfo,
  type PublishOptions,
  type RemoteTrackStats,
  type SessionEvents,
  type TrackEvent,
} from './types.js';

/**
 * A bridge point's membership in a session. Made by {@link connect}; reconnects on its
 * own after a signaling drop, an ICE failure or a media server restart, republishing
 * what it was sending, until {@link DiemcauSession.leave} or a final refusal.
 *
 * Layered as LiveKit's client is: a signal client (the protocol on a WebSocket), the
 * media engine (transports, producers, consumers), a reconnect policy, and this facade.
 */
export class DiemcauSession extends TypedEmitter<SessionEvents> {
  readonly #options: ConnectOptions;
  readonly #policy = new ReconnectPolicy();
  readonly #room = new RoomState((event, ...args) => this.emit(event, ...args));
  readonly #engine: MediaEngine;
  #signal: SignalClient | null = null;
  #me: AuthResult | null = null;
  #state: ConnectionState = 'connecting';
  #closed = false;
  #localRecording: LocalRecording | null = null;
  /**
   * Until {@link connect} has resolved, `track` events are held: a listener added right
   * after `await connect()` would otherwise miss the tracks found while joining.
   */
  #heldTracks: TrackEvent[] | null = [];

  /** @internal Use {@link connect}. */
  constructor(options: ConnectOptions) {
    super();
    this.#options = options;
    for (const [event, listener] of Object.entries(options.on ?? {})) {
      this.on(event as keyof SessionEvents, listener as (...args: unknown[]) => void);
    }
    this.#engine = new MediaEngine({
      request: (method, data) => this.#request(method, data),
      emit: (event, ...args) => {
        if (event === 'track' && this.#heldTracks) {
          this.#heldTracks.push(args[0] as TrackEvent);
          return;
        }
        this.emit(event, ...args);
      },
      pointId: () => this.#me?.pointId ?? null,
      mutedByOperator: () => this.#room.mutedByOperator,
      transportLost: () => this.#recover(),
    });
  }

  /** The bridge points present, this one included. */
  get points(): PointInfo[] {
    return this.#room.points;
  }

  /** This point, as its credential names it. */
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
    return this.#room.activeSpeaker;
  }

  get spotlight(): string | null {
    return this.#room.spotlight;
  }

  /** A point's link quality as the server last graded it (undefined before the first). */
  quality(pointId: string): PointQualityInfo | undefined {
    return this.#room.quality.get(pointId);
  }

  get locked(): boolean {
    return this.#room.locked;
  }

  /** Whether the session is being recorded: a delegate page must show it. */
  get recording(): boolean {
    return this.#room.recording;
  }

  get mutedByOperator(): boolean {
    return this.#room.mutedByOperator;
  }

  /** The remote tracks being received now. */
  get tracks(): TrackEvent[] {
    return this.#engine.tracks;
  }

  /** The local track being sent for a source, if any. */
  localTrack(source: MediaSource): MediaStreamTrack | null {
    return this.#engine.localTrack(source);
  }

  /**
   * @internal First connection; rejects with a {@link DiemcauError} if refused. The
   * tracks found while joining are emitted as `track` on the next task after it
   * resolves, once (they are in {@link DiemcauSession.tracks} at once).
   */
  async start(): Promise<void> {
    try {
      await this.#open();
    } catch (err) {
      this.#heldTracks = null;
      this.#finish();
      throw err;
    }
    setTimeout(() => {
      const held = this.#heldTracks ?? [];
      this.#heldTracks = null;
      const live = new Set(this.tracks.map((t) => t.consumerId));
      for (const track of held) {
        if (live.has(track.consumerId)) {
          this.emit('track', track);
        }
      }
    }, 0);
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
      await this.#engine.publish(source, track, want === true);
    }
  }

  /** Stops sending a source. */
  async unpublish(source: MediaSource): Promise<void> {
    await this.#engine.unpublish(source);
  }

  /** Mutes or unmutes this point's microphone. Unmuting fails while the operator has it muted. */
  async setMicMuted(muted: boolean): Promise<void> {
    if (!muted && this.#room.mutedByOperator && this.#engine.localTrack('mic') !== null) {
      throw new DiemcauError(
        'DC_ERR_MUTED_BY_OPERATOR',
        'The operator has muted this bridge point; only the operator can unmute it',
      );
    }
    await this.#engine.setPaused('mic', muted);
  }

  /** Turns this point's camera off or on (the track keeps running, nothing is sent). */
  async setCameraOff(off: boolean): Promise<void> {
    await this.#engine.setPaused('camera', off);
  }

  isPaused(source: MediaSource): boolean {
    return this.#engine.isPaused(source);
  }

  /**
   * Which simulcast layer to receive from a point: 0 small (grid tile), 1 medium,
   * 2 large (the speaker, the spotlight). A wish: the server may send less.
   */
  async setPreferredLayer(pointId: string, spatialLayer: 0 | 1 | 2): Promise<void> {
    await this.#engine.setPreferredLayer(pointId, spatialLayer);
  }

  /**
   * Which of a source's simulcast layers this point's browser sends in full now (index:
   * 0 small, 1 medium, 2 large): the layers above what anybody receives go down to a
   * trickle (a sixth of their bitrate) at the server's word, and back up when somebody
   * receives them. null: the source is not sent in layers.
   */
  sendingLayers(source: MediaSource): boolean[] | null {
    return this.#engine.sendingLayers(source);
  }

  /** What each remote track has received and decoded so far. */
  getStats(): Promise<RemoteTrackStats[]> {
    return this.#engine.getStats();
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

  /** Ends the session for every point (operator and host); it cannot be undone. */
  async endSession(): Promise<void> {
    await this.#request('endSession', {});
  }

  async setSpotlight(pointId: string | null): Promise<void> {
    await this.#request('spotlight', { pointId });
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

  /** Leaves the session for good. */
  async leave(): Promise<void> {
    void this.#localRecording?.stop();
    if (this.#closed) {
      return;
    }
    const signal = this.#signal;
    this.#closed = true;
    if (signal && !signal.closed) {
      await Promise.race([
        signal.request('leave', {}).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
    }
    this.#finish();
  }

  // ---- connection and recovery -----------------------------------------------------

  async #open(): Promise<void> {
    const signal = await SignalClient.open(this.#options.url, {
      notification: (n) => {
        if (this.#signal === signal) {
          this.#onNotification(n);
        }
      },
      closed: (code) => {
        if (this.#signal === signal) {
          this.#onSocketClosed(code);
        }
      },
    });
    this.#signal = signal;
    this.#me = await signal.request('auth', {
      token: this.#options.token,
      ...(this.#options.sessionId !== undefined ? { sessionId: this.#options.sessionId } : {}),
    });
    if (!this.#engine.loaded) {
      await this.#engine.load(this.#me.routerRtpCapabilities as types.RtpCapabilities);
    }
    await this.#join();
  }

  /** (Re)joins on the current socket and rebuilds transports, producers and consumers. */
  async #join(): Promise<void> {
    const generation = this.#engine.reset();
    const joined = await this.#request('join', {
      rtpCapabilities: this.#engine.rtpCapabilities,
      ...(this.#options.acknowledgedRecording ? { acknowledgedRecording: true } : {}),
    });
    if (!this.#engine.isCurrent(generation)) {
      return;
    }
    this.#room.applyJoin(joined);
    await this.#engine.build(generation, joined, this.#me?.role !== 'observer');
    if (this.#engine.isCurrent(generation)) {
      this.#setState('connected');
    }
  }

  #recover(): void {
    if (this.#closed) {
      return;
    }
    const started = this.#policy.recover(
      () => (this.#signal && !this.#signal.closed ? this.#join() : this.#open()),
      () => this.#closed,
      (err) => {
        this.emit('error', err);
        this.#finish();
      },
    );
    if (started) {
      this.#setState('reconnecting');
    }
  }

  #onSocketClosed(code: number): void {
    if (this.#closed) {
      return;
    }
    const final = this.#policy.finalClose(code);
    if (final === null) {
      this.#recover();
      return;
    }
    if (final === 'removed') {
      this.emit('kicked', { reason: 'removed' });
    }
    this.#finish();
  }

  #onNotification(n: Notification): void {
    if (n.method === 'mutedByOperator') {
      // The server already paused or resumed the microphone: the local side follows.
      this.#engine.followOperatorMute(n.data.muted);
    }
    if (this.#room.apply(n)) {
      return;
    }
    switch (n.method) {
      case 'newProducer':
        void this.#engine.consume(n.data);
        break;
      case 'producerClosed':
        this.#engine.dropProducer(n.data.producerId);
        break;
      case 'consumerClosed':
        this.#engine.dropConsumer(n.data.consumerId);
        break;
      case 'consumerLayersChanged':
        this.#engine.layersChanged(n.data.consumerId, n.data.layers);
        break;
      case 'producerPaused':
      case 'producerResumed':
        this.emit('remoteTrackPaused', {
          pointId: n.data.pointId,
          source: n.data.source,
          paused: n.method === 'producerPaused',
        });
        break;
      case 'publishLayers':
        void this.#engine.sendLayers(n.data.producerId, n.data.maxSpatialLayer);
        break;
      case 'recordingAlarm':
        this.emit('recordingAlarm', n.data);
        break;
      case 'recordingProblem':
        this.emit('recordingProblem', n.data);
        break;
      case 'kicked':
        this.emit('kicked', n.data);
        this.#finish();
        break;
      case 'sessionEnded':
        this.emit('sessionEnded', n.data);
        break;
      case 'mediaReset':
        this.#recover();
        break;
      default:
        // `authenticated`/`authFailed` answer `?token=` on the URL; this SDK sends `auth`.
        break;
    }
  }

  #finish(): void {
    this.#closed = true;
    this.#engine.close();
    this.#signal?.close(1000, 'left');
    this.#setState('closed');
  }

  #setState(state: ConnectionState): void {
    if (this.#state !== state) {
      this.#state = state;
      this.emit('connectionState', state);
    }
  }

  #request<M extends SignalingMethod>(method: M, data: RequestOf<M>): Promise<ResultOf<M>> {
    const signal = this.#signal;
    if (!signal) {
      return Promise.reject(new DiemcauError('DC_ERR_DISCONNECTED', 'Not connected'));
    }
    return signal.request(method, data);
  }
}
