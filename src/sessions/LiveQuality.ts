/**
 * The live view's figures, sampled from mediasoup every few seconds for every live
 * session: per point, bitrate in and out, loss both ways, round-trip time, the scores,
 * the layer it receives of the large picture, and a warning when it degrades or drops.
 * The console and `/metrics` read the last sample; nothing here is computed in a browser.
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import type { LinkQuality, PointInfo } from '../../protocol/signaling.js';
import type { PointQuality, QualityWarning, SessionQuality } from '../../protocol/liveView.js';
import type { Peer } from '../sfu/Peer.js';
import { pointOf } from '../sfu/mediaLookups.js';
import { producerStats } from '../sfu/producerStats.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { LiveSession } from './LiveSession.js';
import type { LiveSessions } from './LiveSessions.js';

export type { PointQuality, QualityWarning, SessionQuality } from '../../protocol/liveView.js';

export interface WorkerCpu {
  pid: number;
  /** CPU used since the last sample, % of one core. */
  cpuPct: number;
}

const SAMPLE_MS = 3000;
/**
 * Of the streams a point receives, how many senders' are read per sample, in turn: a
 * receiver's link shows in each of its streams, a sender's in each receiver's report of
 * its stream, so a few of each suffice; reading every stream of every point each time
 * (110 for 11 points, every three seconds) was most of the live view's requests.
 */
const SENDERS_PER_SAMPLE = 3;
/**
 * A producer's stats read this recently by another will do: the governor reads every
 * camera each second, so the live view reads none of its own.
 */
const READING_MAX_AGE_MS = 1500;
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
  /** Which senders' streams this sample reads (`SENDERS_PER_SAMPLE` further each time). */
  #turn = 0;

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

  /**
   * A sample taken after now (after the one in flight, if any), or after `timeoutMs`
   * whatever happened: an answer to an operator never waits on a stuck worker.
   */
  async fresh(timeoutMs = 2000): Promise<void> {
    const after = async (): Promise<void> => {
      await this.#sampling;
      await this.sample();
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      after(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #sampleAll(): Promise<void> {
    // Only sessions already open: one still waiting for its last sitting's join (which
    // can take minutes) must not hold every other session's figures.
    const sessions = this.#live.opened();
    const next = new Map<string, SessionQuality>();
    const turn = this.#turn++;
    for (const live of sessions) {
      if (!live.closed) {
        const sample = await sampleSession(live, turn);
        next.set(live.id, sample);
        // Every page shows each point's link on its tile.
        live.room.broadcast('pointQuality', {
          points: sample.points.map((p) => ({
            pointId: p.pointId,
            quality: p.quality,
            lossPct:
              p.upLossPct === null && p.downLossPct === null
                ? null
                : Math.max(p.upLossPct ?? 0, p.downLossPct ?? 0),
            rttMs: p.rttMs,
            sendKbps: p.inKbps,
          })),
        });
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
    const alive = new Set(this.#pool.workers.map((w) => w.worker.pid));
    // A worker that died and was replaced leaves the figures with it.
    for (const pid of [...this.#cpu.keys()]) {
      if (!alive.has(pid)) {
        this.#cpu.delete(pid);
      }
    }
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

/** A receiver's report on one stream it gets: its loss (0–255) and the round trip, ms. */
interface StreamReport {
  senderPointId: string;
  fractionLost: number;
  rttMs: number | null;
}

async function sampleSession(live: LiveSession, turn: number): Promise<SessionQuality> {
  const { session, room } = live;
  // Each receiver's reports on a few senders' streams: a figure that is bad in every
  // report on one sender's stream is that sender's link; one that is bad in all of one
  // receiver's reports is that receiver's. Each receiver starts one sender further than
  // the last, so every sender's stream is read by a few receivers in each sample.
  const reports = new Map<string, StreamReport[]>();
  for (const [i, peer] of [...room.peers.values()].entries()) {
    if (!peer.closed) {
      reports.set(peer.pointId, await streamReports(peer, turn * SENDERS_PER_SAMPLE + i));
    }
  }
  const all = [...reports.values()].flat();
  const points: PointQuality[] = [];
  for (const point of session.points.values()) {
    const peer = room.peers.get(point.id);
    points.push(
      await samplePoint(
        point,
        peer && !peer.closed ? peer : undefined,
        reports.get(point.id) ?? [],
        all.filter((r) => r.senderPointId === point.id),
      ),
    );
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

/** Its reports on `SENDERS_PER_SAMPLE` senders' streams, from the `first`th sender on. */
async function streamReports(peer: Peer, first: number): Promise<StreamReport[]> {
  const out: StreamReport[] = [];
  // One stream per sender tells the path from it: its picture where it flows, else its
  // sound. The picture's receiver reports come every second (the sound's every 5 s, so
  // its round trip is known late); its loss is what retransmission left, the part a
  // viewer sees. Asking the worker for every consumer every few seconds cost an
  // 11-point session a sixth of its CPU.
  const bySender = new Map<string, types.Consumer>();
  for (const consumer of peer.consumers.values()) {
    if (consumer.paused || consumer.producerPaused) {
      continue;
    }
    const sender = pointOf(consumer);
    const chosen = bySender.get(sender);
    if (!chosen || (chosen.kind === 'audio' && consumer.kind === 'video')) {
      bySender.set(sender, consumer);
    }
  }
  // The senders in a fixed order, a few in turn: every pair is read within a few samples.
  const senders = [...bySender.keys()].sort();
  const read =
    senders.length <= SENDERS_PER_SAMPLE
      ? senders
      : Array.from(
          { length: SENDERS_PER_SAMPLE },
          (_, i) => senders[(first + i) % senders.length] as string,
        );
  for (const consumer of read.flatMap((sender) => bySender.get(sender) ?? [])) {
    const stats = (await consumer.getStats().catch(() => [])) as types.ConsumerStat[];
    for (const s of stats) {
      if (s.type === 'outbound-rtp') {
        out.push({
          senderPointId: pointOf(consumer),
          fractionLost: s.fractionLost,
          rttMs: s.roundTripTime !== undefined && s.roundTripTime > 0 ? s.roundTripTime : null,
        });
      }
    }
  }
  return out;
}

async function samplePoint(
  point: PointInfo,
  peer: Peer | undefined,
  received: StreamReport[],
  ofItsStreams: StreamReport[],
): Promise<PointQuality> {
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
    quality: 'lost',
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
    if (producer.paused) {
      // A microphone switched off scores 0: that is not the link.
      continue;
    }
    // A simulcast encoding its sender stopped (its CPU or its own estimate held it
    // back) scores 0 after a moment of silence: that is not the link, while another
    // encoding of the same camera flows.
    const scores = producer.score.map((s) => s.score);
    const flowing = scores.filter((x) => x > 0);
    producerScores.push(...(flowing.length > 0 ? flowing : scores));
    // The governor's reading of it will do.
    const stats = (await producerStats(producer, READING_MAX_AGE_MS)) ?? [];
    upLoss.push(...stats.map((s) => s.fractionLost));
  }
  const consumerScores: number[] = [];
  for (const consumer of peer.consumers.values()) {
    if (consumer.paused || consumer.producerPaused) {
      continue;
    }
    consumerScores.push(consumer.score.score);
    if (consumer.kind === 'video' && consumer.currentLayers) {
      q.receivingLayer = Math.max(q.receivingLayer ?? 0, consumer.currentLayers.spatialLayer);
    }
  }
  const max = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);
  const min = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);
  const rttsOf = (rs: StreamReport[]): number[] =>
    rs.flatMap((r) => (r.rttMs === null ? [] : [r.rttMs]));
  // Its sending link: what the SFU lost of its streams, and what every receiver of them
  // reports (the typical receiver). Its receiving link: the least it reports of any stream.
  const up = max([...upLoss, lowMedian(ofItsStreams.map((r) => r.fractionLost)) ?? 0]);
  const down = min(received.map((r) => r.fractionLost));
  q.upLossPct = up === null ? null : pct(up);
  q.downLossPct = down === null ? null : pct(down);
  const rtt = max(
    [lowMedian(rttsOf(ofItsStreams)), min(rttsOf(received))].flatMap((x) =>
      x === null ? [] : [x],
    ),
  );
  q.rttMs = rtt === null ? null : Math.round(rtt);
  q.producerScore = min(producerScores);
  // Likewise a lossy sender lowers every receiver's score for its stream: the typical one.
  q.consumerScore = highMedian(consumerScores);
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
  q.quality = linkQuality(q, point.connection === 'connected');
  return q;
}

/**
 * The typical figure, and of an even count the better of the middle two: a sender's
 * link is blamed only when more than half of its receivers see the fault (two
 * receivers, one of them on a lossy link, say nothing of the sender).
 */
function lowMedian(xs: number[]): number | null {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : null;
}

/** As `lowMedian`, for a figure where higher is better (a score). */
function highMedian(xs: number[]): number | null {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : null;
}

/**
 * Three levels and lost, as LiveKit grades a participant's connection: lost when the
 * point is not connected; poor past the delegate link's fail lines (8 % loss, 600 ms,
 * a score under 5); good past its pass lines (2 %, 300 ms, under 8); else excellent.
 */
export function linkQuality(q: PointQuality, connected: boolean): LinkQuality {
  if (!connected) {
    return 'lost';
  }
  const loss = Math.max(q.upLossPct ?? 0, q.downLossPct ?? 0);
  const rtt = q.rttMs ?? 0;
  const score = Math.min(q.producerScore ?? 10, q.consumerScore ?? 10);
  if (loss > 8 || rtt > 600 || score < 5) {
    return 'poor';
  }
  if (loss > 2 || rtt > 300 || score < 8) {
    return 'good';
  }
  return 'excellent';
}
