/**
 * A live session's room: the points present (a Peer each, on its signaling channel),
 * their admission through the session's rules, the grace a dropped point keeps its
 * place for, the chair's controls acting for an actor (a point's chair or an operator),
 * and telling every point what changed. The media itself is RoomMedia's.
 */
import type { types } from 'mediasoup';
import { canControl } from '../auth/roles.js';
import type { Logger } from '../../common/logger.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';
import {
  CLOSE_CODES,
  type CloseCode,
  type JoinResult,
  type LeaveReason,
  type NotificationMethod,
  type SignalingNotifications,
} from '../../protocol/signaling.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { Actor, Session } from '../sessions/Session.js';
import type { Peer } from './Peer.js';
import { RoomMedia, sourceOf } from './RoomMedia.js';

export type { JoinResult, ProducerInfo } from '../../protocol/signaling.js';

export interface RoomOptions {
  session: Session;
  pool: WorkerPool;
  logger: Logger;
  reconnectGraceMs: number;
  /** Consumers one point may hold (a connectivity test's room: its copies and its sound). */
  maxConsumersPerPeer?: number;
}

export type RoomEvents = {
  '@close': [];
  '@empty': [];
  /** A point started sending a source (the recorder follows these). */
  newproducer: [pointId: string, producer: types.Producer];
};

export class Room extends EnhancedEventEmitter<RoomEvents> {
  readonly session: Session;
  readonly peers = new Map<string, Peer>();
  readonly media: RoomMedia;
  readonly #log: Logger;
  readonly #graceMs: number;
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  static async create(options: RoomOptions): Promise<Room> {
    const log = options.logger.child({ sessionId: options.session.id });
    const peers = new Map<string, Peer>();
    const media = await RoomMedia.create(
      options.session.id,
      options.pool,
      peers,
      log,
      options.maxConsumersPerPeer,
    );
    return new Room(options, media, peers, log);
  }

  private constructor(
    options: RoomOptions,
    media: RoomMedia,
    peers: Map<string, Peer>,
    log: Logger,
  ) {
    super((event, error) => log.error({ err: error, event }, 'room listener failed'));
    this.session = options.session;
    this.media = media;
    this.peers = peers;
    this.#log = log;
    this.#graceMs = options.reconnectGraceMs;
    this.#follow(media);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get workerPid(): number | null {
    return this.media.workerPid;
  }

  rtpCapabilities(): Promise<types.RtpCapabilities> {
    return this.media.rtpCapabilities();
  }

  // ---- presence ----------------------------------------------------------------------

  async join(
    peer: Peer,
    rtpCapabilities: types.RtpCapabilities,
    acknowledgedRecording = false,
  ): Promise<JoinResult> {
    const { session } = this;
    const { pointId } = peer.claims;
    session.checkAdmission(peer.claims);
    await this.media.ready();
    const existing = this.peers.get(pointId);
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
    const { point, arrival } = session.admit(peer.claims, existing !== peer);
    if (acknowledgedRecording && arrival === 'joined') {
      // Told before joining that the session is recorded: on the record, with who.
      session.record('recording-acknowledged', { pointId });
    }
    if (arrival === 'joined') {
      this.broadcast('pointJoined', { point }, pointId);
    } else {
      this.broadcast('pointUpdated', { point }, pointId);
    }
    this.#log.info({ pointId, role: point.role, rejoin: arrival !== 'joined' }, 'point joined');
    return {
      sessionId: session.id,
      you: point,
      points: [...session.points.values()],
      producers: this.media.producerInfos(pointId),
      locked: session.locked,
      spotlight: session.spotlight,
      activeSpeaker: this.media.activeSpeaker,
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
    const point = this.session.reconnecting(pointId);
    if (point) {
      this.broadcast('pointUpdated', { point }, pointId);
    }
    this.#cancelGrace(pointId);
    this.#graceTimers.set(
      pointId,
      setTimeout(() => {
        this.#graceTimers.delete(pointId);
        if (this.peers.get(pointId) === peer) {
          this.leave(peer, 'connection-lost');
        }
      }, this.#graceMs),
    );
  }

  leave(peer: Peer, reason: LeaveReason): void {
    const { pointId } = peer;
    if (this.peers.get(pointId) !== peer) {
      peer.close();
      return;
    }
    this.#cancelGrace(pointId);
    peer.close();
    this.peers.delete(pointId);
    const hadSpotlight = this.session.left(pointId, reason);
    this.broadcast('pointLeft', { pointId, reason });
    if (hadSpotlight) {
      this.broadcast('spotlight', { pointId: null });
    }
    this.#log.info({ pointId, reason }, 'point left');
    if (this.peers.size === 0) {
      this.safeEmit('@empty');
    }
  }

  /** Sends a point away: its connection is closed with `code`, and it has left. */
  dismiss(pointId: string, code: CloseCode, reason: string): void {
    const peer = this.peers.get(pointId);
    if (peer) {
      peer.channel.close(code, reason);
      this.leave(peer, code === CLOSE_CODES.ended ? 'left' : 'removed');
    }
  }

  // ---- a point's own sources ---------------------------------------------------------

  produce(
    peer: Peer,
    request: {
      transportId: string;
      kind: types.MediaKind;
      rtpParameters: object;
      source: 'mic' | 'camera' | 'screen';
    },
  ): Promise<{ id: string }> {
    return this.media.produce(peer, request, this.session.isMuted(peer.pointId));
  }

  async setProducerPaused(peer: Peer, producerId: string, paused: boolean): Promise<void> {
    await this.media.setProducerPaused(
      peer,
      producerId,
      paused,
      this.session.isMuted(peer.pointId),
    );
  }

  // ---- controls (operator and host), for an actor --------------------------------------

  async setPointMuted(actor: Actor, pointId: string, muted: boolean): Promise<void> {
    const point = this.session.setMuted(pointId, muted, actor);
    const target = this.peers.get(pointId);
    await this.media.setMicPaused(target, muted);
    target?.channel.notify('mutedByOperator', { muted, by: actor.by });
    this.broadcast('pointUpdated', { point });
  }

  removePoint(actor: Actor, pointId: string): void {
    this.session.remove(pointId, actor);
    const target = this.peers.get(pointId);
    if (target) {
      target.channel.notify('kicked', { reason: 'removed', by: actor.by });
      target.channel.close(CLOSE_CODES.removed, 'removed by the operator');
      this.leave(target, 'removed');
    }
  }

  setLocked(actor: Actor, locked: boolean): void {
    this.session.setLocked(locked, actor);
    this.broadcast('sessionLocked', { locked, by: actor.by });
  }

  setSpotlight(actor: Actor, pointId: string | null): void {
    this.session.setSpotlight(pointId, actor);
    this.broadcast('spotlight', { pointId, by: actor.by });
  }

  // ---- telling the points ------------------------------------------------------------

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
    this.media.close();
    this.safeEmit('@close');
  }

  /** What the media does, told to the points and kept in the session's timeline. */
  #follow(media: RoomMedia): void {
    media.on('newproducer', (peer, producer) => {
      this.broadcast('newProducer', media.producerInfo(peer.pointId, producer), peer.pointId);
      this.safeEmit('newproducer', peer.pointId, producer);
    });
    media.on('producerclose', (peer, producer) => {
      this.broadcast(
        'producerClosed',
        { producerId: producer.id, pointId: peer.pointId },
        peer.pointId,
      );
    });
    media.on('producerpause', (peer, producer, paused) => {
      const source = sourceOf(producer);
      // In the record: a point that sends nothing for a while is not a recording gap.
      this.session.record(paused ? 'source-paused' : 'source-resumed', {
        pointId: peer.pointId,
        detail: { source },
      });
      this.broadcast(paused ? 'producerPaused' : 'producerResumed', {
        producerId: producer.id,
        pointId: peer.pointId,
        source,
      });
    });
    media.on('activespeaker', (pointId) => this.broadcast('activeSpeaker', { pointId }));
    media.on('lost', (workerPid) => {
      this.session.record('media-reset', { detail: { reason: 'worker-died', workerPid } });
    });
    media.on('reset', () => this.broadcast('mediaReset', { reason: 'worker-died' }));
  }

  #cancelGrace(pointId: string): void {
    const timer = this.#graceTimers.get(pointId);
    if (timer) {
      clearTimeout(timer);
      this.#graceTimers.delete(pointId);
    }
  }
}
