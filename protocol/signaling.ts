/**
 * The signaling protocol on `/ws` (docs/contract.md, "Signaling"), written once: the
 * server's method table `satisfies` {@link SignalingMethods}, its notifications are sent
 * through {@link SignalingNotifications}, and the client SDK's requests and notification
 * switch are typed by the same two maps. A changed field breaks the build on both sides.
 *
 * Types, and a few constants both sides need; nothing here runs on its own.
 */
import type { ClientFigures, ConnectivityResult } from './connectivity.js';
import type { WireError } from './errors.js';

declare const mediasoupType: unique symbol;

/**
 * One of mediasoup's own structures (RTP capabilities and parameters, ICE and DTLS
 * parameters), carried as it is: the server's mediasoup and the browser's
 * mediasoup-client each give it their own type and check its meaning (their types differ
 * in details, such as the header extensions each knows), so neither is written here.
 */
export type MediasoupObject<Name extends string> = object & { readonly [mediasoupType]?: Name };
export type RtpCapabilities = MediasoupObject<'RtpCapabilities'>;
export type RtpParameters = MediasoupObject<'RtpParameters'>;
export type DtlsParameters = MediasoupObject<'DtlsParameters'>;
export type IceParameters = MediasoupObject<'IceParameters'>;
export type IceCandidate = MediasoupObject<'IceCandidate'>;
export type MediaKind = 'audio' | 'video';

/** Roles a credential grants (docs/contract.md, "Words"). */
export const ROLES = ['operator', 'host', 'delegate', 'observer'] as const;
export type Role = (typeof ROLES)[number];

export const POINT_KINDS = ['central', 'delegate'] as const;
export type PointKind = (typeof POINT_KINDS)[number];

/** What a point sends: its microphone, its camera, its screen. */
export const MEDIA_SOURCES = ['mic', 'camera', 'screen'] as const;
export type MediaSource = (typeof MEDIA_SOURCES)[number];

/** `reconnecting` while the point's connection is down and its place is kept. */
export type ConnectionStatus = 'connected' | 'reconnecting';

/** A bridge point present in the session. */
export interface PointInfo {
  id: string;
  name: string;
  kind: PointKind;
  role: Role;
  connection: ConnectionStatus;
  /** Muted by the operator or host (server-side pause of the point's microphone). */
  mutedByOperator: boolean;
}

/** A source a point sends, as announced to the others. */
export interface ProducerInfo {
  producerId: string;
  pointId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

/** Why a point left: it said so, its connection stayed down past the grace, or it was removed. */
/** How well a point's link carries the session now, graded by the server (3 levels + lost). */
export type LinkQuality = 'excellent' | 'good' | 'poor' | 'lost';

/** One point's link as the server measures it (every few seconds, `pointQuality`). */
export interface PointQualityInfo {
  pointId: string;
  quality: LinkQuality;
  /** The worse of its loss both ways, %; its round-trip time, ms; what it sends, kbit/s. */
  lossPct: number | null;
  rttMs: number | null;
  sendKbps: number;
}

export type LeaveReason = 'left' | 'connection-lost' | 'removed';

export interface AuthResult {
  sessionId: string;
  pointId: string;
  pointName: string;
  pointKind: PointKind;
  role: Role;
  expiresAt: string;
  routerRtpCapabilities: RtpCapabilities;
  /** On a connectivity test's connection: how long to measure, how many copies to receive. */
  connectivityTest?: { seconds: number; videoCopies: number };
}

export interface JoinResult {
  sessionId: string;
  you: PointInfo;
  points: PointInfo[];
  producers: ProducerInfo[];
  locked: boolean;
  spotlight: string | null;
  activeSpeaker: string | null;
  recording: boolean;
}

export interface TransportInfo {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ConsumeResult {
  id: string;
  producerId: string;
  pointId: string;
  source: MediaSource;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  type: 'simple' | 'simulcast' | 'svc' | 'pipe';
  producerPaused: boolean;
}

export interface ConsumerLayers {
  spatialLayer: number;
  temporalLayer?: number;
}

/** What the server measures of this point's media (`getStats`). */
export interface PeerStats {
  transports: { id: string; direction: 'send' | 'recv'; stats: unknown[] }[];
  producers: {
    id: string;
    kind: MediaKind;
    source: MediaSource;
    paused: boolean;
    score: unknown;
  }[];
  consumers: {
    id: string;
    producerId: string;
    pointId: string;
    kind: MediaKind;
    paused: boolean;
    producerPaused: boolean;
    score: unknown;
    currentLayers: ConsumerLayers | null;
  }[];
}

/**
 * What a connection is for: the session itself (the default), or a connectivity test of
 * the same media path in a room of its own, never the session's room or its archive.
 */
export type AuthPurpose = 'session' | 'connectivity-test';

/** A request or result without fields. */
export type Empty = Record<never, never>;

/** Each method: what its `data` holds, and what a successful response's `data` holds. */
export interface SignalingMethods {
  /** With the credential's token; `sessionId` refuses a token for any other session. */
  auth: {
    request: { token: string; sessionId?: string; purpose?: AuthPurpose };
    result: AuthResult;
  };
  getRouterRtpCapabilities: { request: Empty; result: RtpCapabilities };
  /**
   * `acknowledgedRecording`: the point's clerk acknowledged, before joining, that the
   * session is recorded at the central point (kept in the session's timeline).
   */
  join: {
    request: { rtpCapabilities: RtpCapabilities; acknowledgedRecording?: boolean };
    result: JoinResult;
  };
  leave: { request: Empty; result: Empty };
  createWebRtcTransport: { request: { direction: 'send' | 'recv' }; result: TransportInfo };
  connectWebRtcTransport: {
    request: { transportId: string; dtlsParameters: DtlsParameters };
    result: Empty;
  };
  restartIce: { request: { transportId: string }; result: { iceParameters: IceParameters } };
  produce: {
    request: {
      transportId: string;
      kind: MediaKind;
      rtpParameters: RtpParameters;
      source: MediaSource;
    };
    result: { id: string };
  };
  closeProducer: { request: { producerId: string }; result: Empty };
  pauseProducer: { request: { producerId: string }; result: Empty };
  resumeProducer: { request: { producerId: string }; result: Empty };
  consume: { request: { transportId: string; producerId: string }; result: ConsumeResult };
  resumeConsumer: { request: { consumerId: string }; result: Empty };
  /** A wish: the server may hold the consumer lower (docs/contract.md). */
  setConsumerPreferredLayers: {
    request: { consumerId: string; spatialLayer: number; temporalLayer?: number };
    result: Empty;
  };
  getStats: { request: Empty; result: PeerStats };
  // The chair's controls (operator and host).
  mutePoint: { request: { pointId: string }; result: Empty };
  unmutePoint: { request: { pointId: string }; result: Empty };
  removePoint: { request: { pointId: string }; result: Empty };
  lockSession: { request: { locked: boolean }; result: Empty };
  spotlight: { request: { pointId: string | null }; result: Empty };
  setRecording: { request: { recording: boolean }; result: Empty };
  /** Ends the session for good (every point is sent away, the archive is finished). */
  endSession: { request: Empty; result: Empty };
  ping: { request: Empty; result: { now: number } };
  /**
   * On a connection authenticated for a connectivity test only: the page's figures;
   * the server adds its own, grades, stores the test and answers with the result.
   */
  finishConnectivityTest: { request: { figures: ClientFigures }; result: ConnectivityResult };
}

export type SignalingMethod = keyof SignalingMethods;
export type RequestOf<M extends SignalingMethod> = SignalingMethods[M]['request'];
export type ResultOf<M extends SignalingMethod> = SignalingMethods[M]['result'];

/** What a recording problem is about (logged, counted, told to the chair). */
export type RecordingProblemKind =
  'interrupted' | 'start-failed' | 'bad-segment' | 'join-failed' | 'composite-failed';

/** Every notification the server sends, and its `data`. */
export interface SignalingNotifications {
  /** The answer to `?token=` on the WebSocket URL. */
  authenticated: AuthResult;
  authFailed: { error: WireError };
  pointJoined: { point: PointInfo };
  pointUpdated: { point: PointInfo };
  pointLeft: { pointId: string; reason: LeaveReason };
  newProducer: ProducerInfo;
  producerClosed: { producerId: string; pointId: string };
  producerPaused: { producerId: string; pointId: string; source: MediaSource };
  producerResumed: { producerId: string; pointId: string; source: MediaSource };
  consumerClosed: { consumerId: string; producerId: string };
  consumerLayersChanged: { consumerId: string; layers: ConsumerLayers | null };
  activeSpeaker: { pointId: string | null };
  /** `by`: the point whose chair did it (absent when its point left). */
  spotlight: { pointId: string | null; by?: string };
  sessionLocked: { locked: boolean; by: string };
  /** `by`: a point, or `recorder` when the disk alarm switched it. */
  recordingState: { recording: boolean; by: string };
  recordingAlarm: { reason: 'disk-low'; freeMb: number; minFreeMb: number };
  /** To the operator and host only. */
  recordingProblem: {
    kind: RecordingProblemKind;
    pointId: string | null;
    detail: string;
    at: string;
  };
  mutedByOperator: { muted: boolean; by: string };
  kicked: { reason: 'removed'; by: string };
  /** The session's media moved (a worker died): rebuild transports and media. */
  mediaReset: { reason: 'worker-died' };
  /** The chair or an operator ended the session: the connection closes (4004). */
  sessionEnded: { by: string };
  /**
   * Dynacast: send this producer's simulcast layers up to this one only (the ones above
   * nobody receives). A new producer sends every layer until told otherwise; the same
   * may be told again (in case it did not take).
   */
  publishLayers: { producerId: string; maxSpatialLayer: number };
  /** Every point's link quality, as the server sampled it (every 3 s). */
  pointQuality: { points: PointQualityInfo[] };
}

export type NotificationMethod = keyof SignalingNotifications;

/** One notification on the wire, as a union the client can switch on. */
export type Notification = {
  [N in NotificationMethod]: { method: N; data: SignalingNotifications[N] };
}[NotificationMethod];

/** Messages on the wire. */
export interface WireRequest<M extends SignalingMethod = SignalingMethod> {
  id: number;
  method: M;
  data: RequestOf<M>;
}
export type WireResponse<M extends SignalingMethod = SignalingMethod> =
  { id: number; ok: true; data: ResultOf<M> } | { id: number | null; ok: false; error: WireError };

/** WebSocket close codes the server uses, and what a client should do after each. */
export const CLOSE_CODES = {
  /** A newer connection of the same point took its place: do not reconnect. */
  replaced: 4000,
  /** The credential was refused: do not reconnect. */
  authFailed: 4001,
  /** Removed by the operator: do not reconnect. */
  removed: 4003,
  /** The session has ended: do not reconnect. */
  ended: 4004,
  /** No `auth` in time: an idle socket must not hold a place on the server. */
  authTimeout: 4008,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
