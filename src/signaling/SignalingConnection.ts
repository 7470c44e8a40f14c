/**
 * One WebSocket signaling connection: authenticates, validates every message, runs
 * requests one at a time in arrival order, and answers each with a response or a coded
 * error. Nothing a client sends can throw out of here: the worst it gets is an error
 * reply, or, past the hard size limit, a closed connection.
 */
import type { types } from 'mediasoup';
import type { WebSocket } from 'ws';
import type { TokenService, VerifiedToken } from '../auth/TokenService.js';
import { type DiemcauError, errors, isDiemcauError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { Peer, type PeerChannel } from '../sfu/Peer.js';
import type { Room } from '../sfu/Room.js';
import type { LiveSession } from '../sessions/LiveSession.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';
import { type MethodContext, methodSpec } from './methods.js';
import type { ConnectivityProbes } from '../connectivity/ConnectivityProbes.js';
import type { ConnectivityProbe } from '../connectivity/ConnectivityProbe.js';
import type { ClientFigures, ConnectivityResult } from '../../protocol/connectivity.js';
import type { WireError } from '../../protocol/errors.js';
import {
  type AuthPurpose,
  CLOSE_CODES,
  type CloseCode,
  type NotificationMethod,
  type SignalingNotifications,
} from '../../protocol/signaling.js';

export interface ConnectionDeps {
  tokens: TokenService;
  sessions: LiveSessions;
  /**
   * Whether a verified token may join now (its session exists and is open, its
   * credential in force): throws the coded reason if not (Credentials.authorize).
   */
  authorize: (claims: VerifiedToken, purpose: AuthPurpose) => void;
  /** Connectivity tests: each in a room of its own, never the session's. */
  probes: ConnectivityProbes;
  logger: Logger;
  maxMessageBytes: number;
  /** A connection that has not authenticated by then is closed (`authTimeout`). */
  authTimeoutMs: number;
}

/** Requests queued beyond this are refused at once instead of piling up in memory. */
const MAX_PENDING = 64;
const PING_INTERVAL_MS = 10_000;

export class SignalingConnection implements PeerChannel, MethodContext {
  readonly #socket: WebSocket;
  readonly #deps: ConnectionDeps;
  readonly #log: Logger;
  #claims: VerifiedToken | null = null;
  #live: LiveSession | null = null;
  #probe: ConnectivityProbe | null = null;
  #peer: Peer | null = null;
  #left = false;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #alive = true;
  #pingTimer: NodeJS.Timeout;
  #authTimer: NodeJS.Timeout | null;

  constructor(
    socket: WebSocket,
    deps: ConnectionDeps,
    remoteAddress: string,
    queryToken: string | null,
  ) {
    this.#socket = socket;
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'signaling', remoteAddress });
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('close', () => this.#onClose());
    socket.on('error', (err) => this.#log.warn({ err }, 'signaling socket error'));
    socket.on('pong', () => (this.#alive = true));
    // A delegate PC whose network vanished sends no close: pings find it.
    this.#pingTimer = setInterval(() => {
      if (!this.#alive) {
        socket.terminate();
        return;
      }
      this.#alive = false;
      socket.ping();
    }, PING_INTERVAL_MS);
    this.#pingTimer.unref();
    this.#authTimer = setTimeout(() => {
      if (!this.#claims) {
        this.#log.info('no authentication in time: closed');
        socket.close(CLOSE_CODES.authTimeout, 'authentication timed out');
      }
    }, deps.authTimeoutMs);
    this.#authTimer.unref();
    if (queryToken !== null) {
      this.#enqueue(async () => {
        try {
          this.notify('authenticated', await this.authenticate(queryToken, undefined));
        } catch (err) {
          this.notify('authFailed', { error: this.#coded(err) });
        }
      });
    }
  }

  // ---- PeerChannel --------------------------------------------------------------------

  notify<N extends NotificationMethod>(method: N, data: SignalingNotifications[N]): void {
    this.#send({ method, data });
  }

  close(code: CloseCode, reason: string): void {
    this.#left = true;
    this.#socket.close(code, reason);
  }

  // ---- used by the method handlers ----------------------------------------------------

  async authenticate(
    token: string,
    sessionId: string | undefined,
    purpose: AuthPurpose = 'session',
  ) {
    if (this.#claims) {
      throw new errors.ALREADY_AUTHENTICATED();
    }
    let claims: VerifiedToken;
    try {
      claims = this.#deps.tokens.verify(token);
      if (sessionId !== undefined && sessionId !== claims.sessionId) {
        throw new errors.TOKEN_WRONG_SESSION();
      }
      this.#deps.authorize(claims, purpose);
    } catch (err) {
      // Refused: say why, then hang up so a bad token cannot probe the server further.
      setTimeout(() => this.#socket.close(CLOSE_CODES.authFailed, 'authentication failed'), 50);
      throw err;
    }
    let room: Room;
    if (purpose === 'connectivity-test') {
      const probe = await this.#deps.probes.open(claims);
      if (this.#socket.readyState !== this.#socket.OPEN) {
        probe.close();
        throw new errors.UNAVAILABLE('the connection closed while the test was prepared');
      }
      this.#probe = probe;
      // The test's room gone (reported, or past its time): so is this connection.
      probe.whenClosed(() => this.close(CLOSE_CODES.ended, 'the connectivity test is over'));
      room = probe.room;
    } else {
      this.#live = await this.#deps.sessions.open(claims.sessionId);
      room = this.#live.room;
    }
    this.#claims = claims;
    this.#clearAuthTimer();
    this.#log.info(
      { sessionId: claims.sessionId, pointId: claims.pointId, role: claims.role, purpose },
      'authenticated',
    );
    return {
      sessionId: claims.sessionId,
      pointId: claims.pointId,
      pointName: claims.pointName,
      pointKind: claims.pointKind,
      role: claims.role,
      expiresAt: claims.expiresAt.toISOString(),
      routerRtpCapabilities: await room.rtpCapabilities(),
      ...(this.#probe ? { connectivityTest: this.#probe.plan } : {}),
    };
  }

  finishConnectivityTest(figures: ClientFigures): Promise<ConnectivityResult> {
    if (!this.#probe) {
      throw new errors.FORBIDDEN('this connection is not a connectivity test');
    }
    const probe = this.#probe;
    return probe.finish(this.peer(), figures).finally(() => {
      // The answer first, then the test's room goes.
      setTimeout(() => probe.close(), 200);
    });
  }

  async join(rtpCapabilities: types.RtpCapabilities, acknowledgedRecording = false) {
    const room = await this.#currentRoom();
    this.#peer ??= new Peer(this.#claims as VerifiedToken, this);
    return room.join(this.#peer, rtpCapabilities, acknowledgedRecording);
  }

  leave(): void {
    if (this.#probe) {
      this.#probe.close();
    } else if (this.#peer && this.#live) {
      this.#live.room.leave(this.#peer, 'left');
    }
    this.#left = true;
    setTimeout(() => this.#socket.close(1000, 'left'), 50);
  }

  live(): LiveSession {
    if (this.#probe) {
      throw new errors.FORBIDDEN('a connectivity test has no session controls');
    }
    if (!this.#live) {
      throw new errors.NOT_AUTHENTICATED();
    }
    return this.#live;
  }

  room(): Room {
    return this.#probe ? this.#probe.room : this.live().room;
  }

  peer(): Peer {
    if (!this.#peer || this.#peer.closed) {
      throw new errors.NOT_JOINED();
    }
    return this.#peer;
  }

  // ---- message loop -------------------------------------------------------------------

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#reply(null, new errors.INVALID_MESSAGE('binary frames are not part of the protocol'));
      return;
    }
    if (data.length > this.#deps.maxMessageBytes) {
      this.#reply(null, new errors.FRAME_TOO_LARGE(data.length, this.#deps.maxMessageBytes));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      this.#reply(null, new errors.INVALID_MESSAGE('not JSON'));
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.#reply(null, new errors.INVALID_MESSAGE('must be a JSON object'));
      return;
    }
    const { id, method, data: params } = message as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      this.#reply(null, new errors.INVALID_MESSAGE('id must be a non-negative integer'));
      return;
    }
    if (typeof method !== 'string') {
      this.#reply(id, new errors.INVALID_MESSAGE('method must be a string'));
      return;
    }
    const spec = methodSpec(method);
    if (!spec) {
      this.#reply(id, new errors.UNKNOWN_METHOD(method.slice(0, 64)));
      return;
    }
    if (this.#pending >= MAX_PENDING) {
      this.#reply(id, new errors.TOO_MANY_REQUESTS(`more than ${MAX_PENDING} requests waiting`));
      return;
    }
    this.#enqueue(async () => {
      try {
        if (spec.requires !== 'none' && !this.#claims) {
          throw new errors.NOT_AUTHENTICATED();
        }
        if (spec.requires === 'join' && (!this.#peer || this.#peer.closed)) {
          throw new errors.NOT_JOINED();
        }
        const valid = spec.params(params === undefined ? {} : params, 'data');
        const result = await spec.handle(this, valid);
        this.#send({ id, ok: true, data: result ?? {} });
      } catch (err) {
        this.#reply(id, err);
      }
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#pending += 1;
    this.#queue = this.#queue.then(task).finally(() => {
      this.#pending -= 1;
    });
  }

  #reply(id: number | null, err: unknown): void {
    this.#send({ id, ok: false, error: this.#coded(err) });
  }

  #coded(err: unknown): WireError {
    if (isDiemcauError(err)) {
      return { code: err.code, message: err.message };
    }
    this.#log.error({ err }, 'signaling request failed unexpectedly');
    const internal: DiemcauError = new errors.INTERNAL();
    return { code: internal.code, message: internal.message };
  }

  #send(message: unknown): void {
    if (this.#socket.readyState !== this.#socket.OPEN) {
      return;
    }
    this.#socket.send(JSON.stringify(message), (err) => {
      if (err) {
        this.#log.debug({ err }, 'send failed');
      }
    });
  }

  async #currentRoom(): Promise<Room> {
    if (this.#probe) {
      return this.#probe.room;
    }
    const live = this.live();
    if (live.room.closed && this.#claims) {
      // Everyone had left and the room was freed: a new sitting of the same session,
      // if the session is still open and the credential still in force.
      this.#deps.authorize(this.#claims, 'session');
      this.#live = await this.#deps.sessions.open(this.#claims.sessionId);
      this.#peer = null;
    }
    return this.room();
  }

  #clearAuthTimer(): void {
    if (this.#authTimer) {
      clearTimeout(this.#authTimer);
      this.#authTimer = null;
    }
  }

  #onClose(): void {
    clearInterval(this.#pingTimer);
    this.#clearAuthTimer();
    this.#probe?.close();
    if (this.#peer && this.#live && !this.#left) {
      this.#live.room.disconnected(this.#peer);
    }
  }
}
