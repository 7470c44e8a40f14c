/**
 * One connectivity test on the server: a room of its own on a worker of the pool (never
 * the session's room, never recorded), in which the point publishes as in the session
 * and consumes its own camera back several times. At the end the page's figures are
 * joined with the SFU's own, graded, stored against the point and the slot, and the
 * room is closed. A test that is not finished in time is closed anyway.
 */
import type { types } from 'mediasoup';
import type {
  ClientFigures,
  ConnectivityResult,
  LinkClass,
  ServerFigures,
} from '../../protocol/connectivity.js';
import { CLOSE_CODES } from '../../protocol/signaling.js';
import type { VerifiedToken } from '../auth/TokenService.js';
import type { Logger } from '../../common/logger.js';
import { errors } from '../../common/errors.js';
import { Room } from '../sfu/Room.js';
import { Session } from '../sessions/Session.js';
import type { Peer } from '../sfu/Peer.js';
import { isRecvTransport } from '../sfu/mediaLookups.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { gradeTest } from './grade.js';
import type { Config } from '../config/schema.js';
import { randomUUID } from 'node:crypto';

export interface ProbeDeps {
  pool: WorkerPool;
  logger: Logger;
  limits: Config['connectivity'];
  /** Stores a graded test; null when the session is not planned (nothing to file it under). */
  record(
    claims: VerifiedToken,
    result: Omit<ConnectivityResult, 'id' | 'slot' | 'at'>,
  ): { id: number; slot: ConnectivityResult['slot']; at: Date } | null;
  onClose(probe: ConnectivityProbe): void;
}

export class ConnectivityProbe {
  readonly room: Room;
  readonly claims: VerifiedToken;
  readonly #deps: ProbeDeps;
  readonly #timer: NodeJS.Timeout;
  #result: ConnectivityResult | null = null;
  #closed = false;
  readonly #openedAt = Date.now();
  readonly #onClosed: (() => void)[] = [];

  static async open(claims: VerifiedToken, deps: ProbeDeps): Promise<ConnectivityProbe> {
    const id = `probe-${randomUUID()}`;
    // A session object of its own: the test's joins and leaves never reach the real
    // session's timeline, audit log or recorder.
    const session = new Session(id, { maxDelegatePoints: 1 });
    const room = await Room.create({
      session,
      pool: deps.pool,
      logger: deps.logger.child({ component: 'connectivity', sessionId: claims.sessionId }),
      reconnectGraceMs: 0,
      maxConsumersPerPeer: deps.limits.videoCopies + 1,
    });
    return new ConnectivityProbe(claims, room, deps);
  }

  private constructor(claims: VerifiedToken, room: Room, deps: ProbeDeps) {
    this.claims = claims;
    this.room = room;
    this.#deps = deps;
    // Ramp-up, the measurement, and time to report: past that, the test is abandoned.
    this.#timer = setTimeout(
      () => {
        for (const peer of [...this.room.peers.values()]) {
          peer.channel.close(CLOSE_CODES.ended, 'the connectivity test took too long');
        }
        this.close();
      },
      (deps.limits.seconds + 60) * 1000,
    );
    this.#timer.unref();
  }

  get linkClass(): LinkClass {
    return this.claims.pointKind === 'central' ? 'central' : 'delegate';
  }

  /** What the page should do: how long to measure, how many copies to receive. */
  get plan(): { seconds: number; videoCopies: number } {
    return { seconds: this.#deps.limits.seconds, videoCopies: this.#deps.limits.videoCopies };
  }

  /** Called once the test's room is gone (its connection ends then too). */
  whenClosed(listener: () => void): void {
    if (this.#closed) {
      listener();
    } else {
      this.#onClosed.push(listener);
    }
  }

  async finish(peer: Peer, client: ClientFigures): Promise<ConnectivityResult> {
    if (this.#result) {
      throw new errors.BAD_REQUEST('this connectivity test has already been reported');
    }
    // A result is kept for the record only after media could flow for the test's time.
    const ran = (Date.now() - this.#openedAt) / 1000;
    if (ran < this.#deps.limits.seconds) {
      throw new errors.BAD_REQUEST(
        `a connectivity test measures for ${this.#deps.limits.seconds} s; reported after ${ran.toFixed(1)} s`,
      );
    }
    const server = await serverFigures(peer);
    const linkClass = this.linkClass;
    const { grade, findings } = gradeTest(client, server, this.#deps.limits[linkClass]);
    const graded = {
      sessionId: this.claims.sessionId,
      pointId: this.claims.pointId,
      linkClass,
      grade,
      findings,
      client,
      server,
    };
    const stored = this.#deps.record(this.claims, graded);
    const at = stored?.at ?? new Date();
    this.#result = {
      ...graded,
      id: stored?.id ?? 0,
      slot: stored?.slot ?? 'adhoc',
      at: at.toISOString(),
    };
    this.#deps.logger.info(
      {
        sessionId: graded.sessionId,
        pointId: graded.pointId,
        grade,
        findings: findings.map((f) => f.code),
      },
      'connectivity test graded',
    );
    return this.#result;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#timer);
    this.room.close();
    this.room.session.close();
    this.#deps.onClose(this);
    for (const listener of this.#onClosed.splice(0)) {
      listener();
    }
  }
}

const kbps = (bps: number | undefined): number => Math.round((bps ?? 0) / 100) / 10;

/** The SFU's side of the test: bitrates and the ICE tuple from mediasoup, and the scores. */
async function serverFigures(peer: Peer): Promise<ServerFigures> {
  let recv = 0;
  let send = 0;
  let available: number | null = null;
  let protocol: ServerFigures['protocol'] = null;
  for (const transport of peer.transports.values()) {
    const [stats] = (await transport.getStats()) as (types.WebRtcTransportStat | undefined)[];
    if (!stats) {
      continue;
    }
    recv += stats.recvBitrate;
    send += stats.sendBitrate;
    if (isRecvTransport(transport) && stats.availableOutgoingBitrate !== undefined) {
      available = kbps(stats.availableOutgoingBitrate);
    }
    // TCP on either transport is what the point lives with.
    const tuple = stats.iceSelectedTuple?.protocol ?? null;
    protocol = protocol === 'tcp' ? 'tcp' : (tuple ?? protocol);
  }
  // The highest layer the camera sends (its rids in order, r0 the thumbnail).
  let cameraTop = -1;
  for (const producer of peer.producers.values()) {
    if (producer.kind !== 'video') {
      continue;
    }
    const stats = await producer.getStats();
    stats.forEach((s, i) => {
      if (s.bitrate > 0) {
        const layer = s.rid ? Number(/\d+$/.exec(s.rid)?.[0] ?? i) : i;
        cameraTop = Math.max(cameraTop, layer);
      }
    });
  }
  let heldBack = 0;
  for (const c of peer.consumers.values()) {
    if (c.kind !== 'video' || cameraTop < 0) {
      continue;
    }
    const wanted = Math.min(c.preferredLayers?.spatialLayer ?? cameraTop, cameraTop);
    if ((c.currentLayers?.spatialLayer ?? -1) < wanted) {
      heldBack += 1;
    }
  }
  const producerScores = [...peer.producers.values()].flatMap((p) => p.score.map((s) => s.score));
  const consumerScores = [...peer.consumers.values()].map((c) => c.score.score);
  const lowest = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);
  return {
    recvKbps: kbps(recv),
    sendKbps: kbps(send),
    availableOutgoingKbps: available,
    protocol,
    videoLayersHeldBack: heldBack,
    producerScore: lowest(producerScores),
    consumerScore: lowest(consumerScores),
  };
}
