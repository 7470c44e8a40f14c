/**
 * The signaling methods (docs/contract.md, "Signaling"): each with the schema of its
 * `data`, what the connection must have done first, and its handler. The table is the
 * protocol's {@link SignalingMethods} (it `satisfies` the map: a method, a field or a
 * result that differs breaks the build), and a method not listed here does not exist.
 */
import type { types } from 'mediasoup';
import { ID_PATTERN } from '../auth/roles.js';
import type { ClientFigures, ConnectivityResult } from '../../protocol/connectivity.js';
import { clientFigures } from '../connectivity/clientFigures.js';
import {
  type AuthPurpose,
  MEDIA_SOURCES,
  type RequestOf,
  type ResultOf,
  type SignalingMethod,
} from '../../protocol/signaling.js';
import type { Peer } from '../sfu/Peer.js';
import type { LiveSession } from '../sessions/LiveSession.js';
import type { Room } from '../sfu/Room.js';
import { type Validator, v } from './validate.js';

export type Requirement = 'none' | 'auth' | 'join';

/** What a method handler may do on its connection (SignalingConnection implements it). */
export interface MethodContext {
  authenticate(
    token: string,
    sessionId: string | undefined,
    purpose: AuthPurpose | undefined,
  ): Promise<ResultOf<'auth'>>;
  finishConnectivityTest(figures: ClientFigures): Promise<ConnectivityResult>;
  join(
    rtpCapabilities: types.RtpCapabilities,
    acknowledgedRecording: boolean,
  ): Promise<ResultOf<'join'>>;
  leave(): void;
  live(): LiveSession;
  room(): Room;
  peer(): Peer;
}

export interface MethodSpec<M extends SignalingMethod> {
  params: Validator<RequestOf<M>>;
  requires: Requirement;
  /** Called only with what `params` returned. */
  handle(conn: MethodContext, data: RequestOf<M>): Promise<ResultOf<M> | void>;
}

function method<M extends SignalingMethod>(
  params: Validator<RequestOf<M>>,
  requires: Requirement,
  handle: (
    conn: MethodContext,
    data: RequestOf<M>,
  ) => ResultOf<M> | void | Promise<ResultOf<M> | void>,
): MethodSpec<M> {
  return { params, requires, handle: (conn, data) => Promise.resolve(handle(conn, data)) };
}

const mediasoupId = v.string({ max: 64, pattern: /^[A-Za-z0-9-]+$/ });
const pointId = v.string({ max: 64, pattern: ID_PATTERN });
const empty = v.object({});

export const METHODS = {
  auth: method(
    v.object({
      token: v.string({ max: 4096 }),
      sessionId: v.optional(v.string({ max: 64 })),
      purpose: v.optional(v.oneOf(['session', 'connectivity-test'] as const)),
    }),
    'none',
    (conn, d) => conn.authenticate(d.token, d.sessionId, d.purpose),
  ),
  getRouterRtpCapabilities: method(empty, 'auth', (conn) => conn.room().media.rtpCapabilities()),
  join: method(
    v.object({ rtpCapabilities: v.json(32_768), acknowledgedRecording: v.optional(v.boolean()) }),
    'auth',
    (conn, d) =>
      conn.join(d.rtpCapabilities as types.RtpCapabilities, d.acknowledgedRecording === true),
  ),
  leave: method(empty, 'join', (conn) => conn.leave()),
  createWebRtcTransport: method(
    v.object({ direction: v.oneOf(['send', 'recv'] as const) }),
    'join',
    (conn, d) => conn.room().media.createTransport(conn.peer(), d.direction),
  ),
  connectWebRtcTransport: method(
    v.object({ transportId: mediasoupId, dtlsParameters: v.json(4096) }),
    'join',
    (conn, d) => conn.room().media.connectTransport(conn.peer(), d.transportId, d.dtlsParameters),
  ),
  restartIce: method(v.object({ transportId: mediasoupId }), 'join', (conn, d) =>
    conn.room().media.restartIce(conn.peer(), d.transportId),
  ),
  produce: method(
    v.object({
      transportId: mediasoupId,
      kind: v.oneOf(['audio', 'video'] as const),
      rtpParameters: v.json(16_384),
      source: v.oneOf(MEDIA_SOURCES),
    }),
    'join',
    (conn, d) => conn.room().produce(conn.peer(), d),
  ),
  closeProducer: method(v.object({ producerId: mediasoupId }), 'join', (conn, d) =>
    conn.room().media.closeProducer(conn.peer(), d.producerId),
  ),
  pauseProducer: method(v.object({ producerId: mediasoupId }), 'join', (conn, d) =>
    conn.room().setProducerPaused(conn.peer(), d.producerId, true),
  ),
  resumeProducer: method(v.object({ producerId: mediasoupId }), 'join', (conn, d) =>
    conn.room().setProducerPaused(conn.peer(), d.producerId, false),
  ),
  consume: method(
    v.object({ transportId: mediasoupId, producerId: mediasoupId }),
    'join',
    (conn, d) => conn.room().media.consume(conn.peer(), d.transportId, d.producerId),
  ),
  resumeConsumer: method(v.object({ consumerId: mediasoupId }), 'join', (conn, d) =>
    conn.room().media.resumeConsumer(conn.peer(), d.consumerId),
  ),
  setConsumerPreferredLayers: method(
    v.object({
      consumerId: mediasoupId,
      spatialLayer: v.integer(0, 2),
      temporalLayer: v.optional(v.integer(0, 2)),
    }),
    'join',
    (conn, d) =>
      conn
        .room()
        .media.setConsumerPreferredLayers(
          conn.peer(),
          d.consumerId,
          d.spatialLayer,
          d.temporalLayer,
        ),
  ),
  getStats: method(empty, 'join', (conn) => conn.room().media.stats(conn.peer())),
  mutePoint: method(v.object({ pointId }), 'join', (conn, d) =>
    conn.room().setPointMuted(conn.peer(), d.pointId, true),
  ),
  unmutePoint: method(v.object({ pointId }), 'join', (conn, d) =>
    conn.room().setPointMuted(conn.peer(), d.pointId, false),
  ),
  removePoint: method(v.object({ pointId }), 'join', (conn, d) =>
    conn.room().removePoint(conn.peer(), d.pointId),
  ),
  lockSession: method(v.object({ locked: v.boolean() }), 'join', (conn, d) =>
    conn.room().setLocked(conn.peer(), d.locked),
  ),
  spotlight: method(v.object({ pointId: v.nullable(pointId) }), 'join', (conn, d) =>
    conn.room().setSpotlight(conn.peer(), d.pointId),
  ),
  setRecording: method(v.object({ recording: v.boolean() }), 'join', (conn, d) =>
    conn.live().setRecording(conn.peer(), d.recording),
  ),
  endSession: method(empty, 'join', (conn) => conn.live().end(conn.peer())),
  ping: method(empty, 'none', () => ({ now: Date.now() })),
  finishConnectivityTest: method(v.object({ figures: clientFigures }), 'join', (conn, d) =>
    conn.finishConnectivityTest(d.figures),
  ),
} satisfies { [M in SignalingMethod]: MethodSpec<M> };

/** The table by name, for the message loop (a name not in it is an unknown method). */
export function methodSpec(name: string): MethodSpec<SignalingMethod> | undefined {
  return Object.hasOwn(METHODS, name) ? METHODS[name as SignalingMethod] : undefined;
}
