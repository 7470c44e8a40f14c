import type { types } from 'mediasoup';
import type { VerifiedToken } from '../auth/TokenService.js';
import type { Actor } from '../sessions/Session.js';

import type {
  CloseCode,
  MediaSource,
  Role,
  NotificationMethod,
  SignalingNotifications,
} from '../../protocol/signaling.js';

export type { MediaSource };

/** How the room reaches a point's signaling connection. */
export interface PeerChannel {
  notify<N extends NotificationMethod>(method: N, data: SignalingNotifications[N]): void;
  /** Ends the connection (kick, replaced by a newer connection of the same point). */
  close(code: CloseCode, reason: string): void;
}

/**
 * One bridge point's presence in a room: its signaling channel and its mediasoup
 * transports, producers and consumers. Its media is torn down and rebuilt whenever the
 * point reconnects or the session moves to another worker; the point itself stays.
 */
export class Peer implements Actor {
  readonly claims: VerifiedToken;
  readonly channel: PeerChannel;
  /** WebRTC transports from browsers; plain RTP ones for in-process points (loopback only). */
  readonly transports = new Map<string, types.WebRtcTransport | types.PlainTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  rtpCapabilities: types.RtpCapabilities | null = null;
  #closed = false;

  constructor(claims: VerifiedToken, channel: PeerChannel) {
    this.claims = claims;
    this.channel = channel;
  }

  get pointId(): string {
    return this.claims.pointId;
  }

  /** As an actor on the session (its chair's controls): events record it by its point. */
  get by(): string {
    return this.claims.pointId;
  }

  get role(): Role {
    return this.claims.role;
  }

  get closed(): boolean {
    return this.#closed;
  }

  producerBySource(source: MediaSource): types.Producer | undefined {
    for (const producer of this.producers.values()) {
      if ((producer.appData as { source?: string }).source === source) {
        return producer;
      }
    }
    return undefined;
  }

  /** Closes every transport (and so every producer and consumer on them). */
  closeMedia(): void {
    for (const transport of this.transports.values()) {
      transport.close();
    }
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.closeMedia();
  }
}
