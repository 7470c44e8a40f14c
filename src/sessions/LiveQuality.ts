/**
 * The live view's figures, sampled from mediasoup every few seconds for every live
 * session: per point, bitrate in and out, loss both ways, round-trip time, the scores,
 * the layer it receives of the large picture, and a warning when it degrades or drops.
 * The console and `/metrics` read the last sample; nothing here is computed in a browser.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import type { PointInfo } from '../../protocol/signaling.js';
import type { Peer } from '../sfu/Peer.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { LiveSession } from './LiveSession.js';
import type { LiveSessions } from './LiveSessions.js';

export type QualityWarning = 'dropped' | 'lossy' | 'slow-rtt' | 'low-score' | null;

export interface PointQuality {
  pointId: string;
  name: string;
  kind: PointInfo['kind'];
  role: PointInfo['role'];
  connection: PointInfo['connection'];
  mutedByOperator: boolean;
  /** What the SFU receives from the point and sends to it, kbit/s. */
  inKbps: number;
  outKbps: number;
  /** Loss on what the point sends (seen by the SFU) and on what it receives (its RTCP), %. */
  upLossPct: number | null;
  downLossPct: number | null;
  rttMs: number | null;
  /** mediasoup's scores (0–10): the worst of its producers' and of its consumers'. */
  producerScore: number | null;
  consumerScore: number | null;
  /** The highest spatial layer it receives of any camera (0 thumbnail … 2 large). */
  receivingLayer: number | null;
  warning: QualityWarning;
}

export interface SessionQuality {
  sessionId: string;
  sampledAt: string;
  recording: boolean;
  locked: boolean;
  spotlight: string | null;
  points: PointQuality[];
}

export interface WorkerCpu {
  pid: number;
  /** CPU used since the last sample, % of one core. */
  cpuPct: number;
}

const SAMPLE_MS = 3000;
const kbps = (bps: number): number => Math.round(bps / 100) / 10;
const pct = (fraction: number): number => Math.round((fraction / 256) * 1000) / 10;

export class LiveQuality {
  readonly #live: LiveSessions;
  readonly #pool: WorkerPool;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  #samples = new Map<string, SessionQuality>();
  #cpu = new Map<number, { at: number; usedMs: number; pct: number }>();
  #warned = new Map<string, QualityWarning>();
  #sampling: Promise<void> | null = null;

  constructor(live: LiveSessions, pool: WorkerPool, logger: Logger, intervalMs = SAMPLE_MS) {
    this.#live = live;
    this.#pool = pool;
    this.#log = logger.child({ component: 'quality' });
    this.#timer = setInterval(() => void this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** The last sample of a session (null when it has no points connected). */
  of(sessionId: string): SessionQuality | null {
    return this.#samples.get(sessionId) ?? null;
  }

  all(): SessionQuality[] {
    return [...this.#samples.values()];
  }

  workers(): WorkerCpu[] {
    return [...this.#cpu].map(([pid, c]) => ({ pid, cpuPct: c.pct }));
  }

  /** Samples now (one at a time: a slow worker does not pile up samples). */
  sample(): Promise<void> {
    this.#sampling ??= this.#sampleAll()
      .catch((err: unknown) => this.#log.warn({ err }, 'quality sample failed'))
      .finally(() => (this.#sampling = null));
    return this.#sampling;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #sampleAll(): Promise<void> {
    const sessions = await this.#live.list();
    const next = new Map<string, SessionQuality>();
    for (const live of sessions) {
      if (!live.closed) {
        next.set(live.id, await sampleSession(live));
      }
    }
    this.#samples = next;
    this.#warnOnChange(next);
    await this.#sampleWorkers();
  }

  #warnOnChange(samples: Map<string, SessionQuality>): void {
    const seen = new Map<string, QualityWarning>();
    for (const s of samples.values()) {
      for (const p of s.points) {
        const key = `${s.sessionId}/${p.pointId}`;
        seen.set(key, p.warning);
        if (p.warning !== (this.#warned.get(key) ?? null) && p.warning !== null) {
          this.#log.warn(
            { sessionId: s.sessionId, pointId: p.pointId, warning: p.warning, rttMs: p.rttMs },
            'a point degraded',
          );
        }
      }
    }
    this.#warned = seen;
  }

  async #sampleWorkers(): Promise<void> {
    const now = Date.now();
    for (const pooled of this.#pool.workers) {
      const { worker } = pooled;
      try {
        const usage = await worker.getResourceUsage();
        const usedMs = usage.ru_utime + usage.ru_stime;
        const last = this.#cpu.get(worker.pid);
        const p = last ? (100 * (usedMs - last.usedMs)) / Math.max(1, now - last.at) : 0;
        this.#cpu.set(worker.pid, { at: now, usedMs, pct: Math.round(p * 10) / 10 });
      } catch {
        this.#cpu.delete(worker.pid);
      }
    }
  }
}

async function sampleSession(live: LiveSession): Promise<SessionQuality> {
  const { session, room } = live;
  const points: PointQuality[] = [];
  for (const point of session.points.values()) {
    const peer = room.peers.get(point.id);
    points.push(await samplePoint(point, peer && !peer.closed ? peer : undefined));
  }
  return {
    sessionId: live.id,
    sampledAt: new Date().toISOString(),
    recording: session.recording,
    locked: session.locked,
    spotlight: session.spotlight,
    points,
  };
}

async function samplePoint(point: PointInfo, peer: Peer | undefined): Promise<PointQuality> {
  const q: PointQuality = {
    pointId: point.id,
    name: point.name,
    kind: point.kind,
    role: point.role,
    connection: point.connection,
    mutedByOperator: point.mutedByOperator,
    inKbps: 0,
    outKbps: 0,
    upLossPct: null,
    downLossPct: null,
    rttMs: null,
    producerScore: null,
    consumerScore: null,
    receivingLayer: null,
    warning: null,
  };
  if (!peer) {
    q.warning = 'dropped';
    return q;
  }
  let inBps = 0;
  let outBps = 0;
  for (const transport of peer.transports.values()) {
    const [s] = (await transport.getStats().catch(() => [])) as (
      types.WebRtcTransportStat | undefined
    )[];
    inBps += s?.recvBitrate ?? 0;
    outBps += s?.sendBitrate ?? 0;
  }
  q.inKbps = kbps(inBps);
  q.outKbps = kbps(outBps);
  const upLoss: number[] = [];
  const producerScores: number[] = [];
  for (const producer of peer.producers.values()) {
    producerScores.push(...producer.score.map((s) => s.score));
    const stats = (await producer.getStats().catch(() => [])) as types.ProducerStat[];
    upLoss.push(...stats.map((s) => s.fractionLost));
  }
  const downLoss: number[] = [];
  const rtts: number[] = [];
  const consumerScores: number[] = [];
  for (const consumer of peer.consumers.values()) {
    consumerScores.push(consumer.score.score);
    if (consumer.kind === 'video' && consumer.currentLayers) {
      q.receivingLayer = Math.max(q.receivingLayer ?? 0, consumer.currentLayers.spatialLayer);
    }
    const stats = (await consumer.getStats().catch(() => [])) as types.ConsumerStat[];
    for (const s of stats) {
      if (s.type === 'outbound-rtp') {
        downLoss.push(s.fractionLost);
        if (s.roundTripTime !== undefined && s.roundTripTime > 0) {
          rtts.push(s.roundTripTime);
        }
      }
    }
  }
  const max = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
  const min = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);
  const up = max(upLoss);
  const down = max(downLoss);
  q.upLossPct = up === null ? null : pct(up);
  q.downLossPct = down === null ? null : pct(down);
  const rtt = max(rtts);
  q.rttMs = rtt === null ? null : Math.round(rtt);
  q.producerScore = min(producerScores);
  q.consumerScore = min(consumerScores);
  q.warning =
    point.connection !== 'connected'
      ? 'dropped'
      : Math.max(q.upLossPct ?? 0, q.downLossPct ?? 0) > 8
        ? 'lossy'
        : (q.rttMs ?? 0) > 600
          ? 'slow-rtt'
          : Math.min(q.producerScore ?? 10, q.consumerScore ?? 10) < 5
            ? 'low-score'
            : null;
  return q;
}
