/**
 * What diemcau costs over bare mediasoup, side by side in one run, and how many
 * sessions this machine carries.
 *
 * The session: 11 points (1 central + 10 delegates), each publishing a 3-layer
 * simulcast camera (pre-encoded VP8 at the SDK's 120/350/900 kbit/s) and Opus, receiving
 * everyone else on a PlainTransport and asking, as the room page does, for the speaker's
 * picture large and everyone else's as a thumbnail; every camera and microphone recorded.
 * The senders (ffmpeg + relays) and the receivers' sink run in a load process of their
 * own (bench/SenderProcess.ts) and send every layer in both phases (they do not follow
 * dynacast), so both forward the same load.
 *
 * 1. bare: the same producers and consumers on bare mediasoup (bench/BareSession.ts:
 *    the recording consumers into the sink), nothing else;
 * 2. diemcau: the in-process server as shipped (the room, the governor with 50 Mbit/s
 *    for each session, dynacast, live quality, the recorder process writing the archive).
 * BENCH_SECONDS (default 60) each: this process's CPU + the workers' is the cost; the
 * recorder process and its ffmpegs are shown apart (bare mediasoup writes nothing).
 * 3. capacity: sessions added one by one to diemcau's server (2 workers, one per core),
 *    each measured for BENCH_CAPACITY_SECONDS (default 30), until a worker is 80 % busy
 *    or BENCH_MAX_SESSIONS (default 4) run.
 * Last line: JSON.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import type { Room } from '../src/sfu/Room.js';
import type { Server } from '../src/Server.js';
import { tempDir } from '../test/helpers/cli.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { resolveWorkerBinary } from '../workers/workerBinary.js';
import { BareSession } from './BareSession.js';
import {
  cpuSeconds,
  machineBusySeconds,
  recordingFfmpegs,
  round,
  rssBytes,
  safeCpu,
  waitFor,
} from './procStats.js';
import { joinSyntheticReceiver, withoutFeedback } from './publishClip.js';
import { makeSimulcastClips } from './rtpSenders.js';
import { SenderProcess } from './SenderProcess.js';
import { SimulcastPublisher } from './simulcastPublisher.js';

const POINTS = 11;
const SPEAKER = 'd1';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const CAPACITY_SECONDS = Number(process.env['BENCH_CAPACITY_SECONDS'] ?? 30);
const MAX_SESSIONS = Number(process.env['BENCH_MAX_SESSIONS'] ?? 4);
const WORKERS = 2;
const BUSY_LIMIT_PCT = 80;

const dir = tempDir('bench-cost');
const ffmpeg = resolveFfmpeg(null).path;
console.log('encoding the simulcast clips (once)…');
const clips = makeSimulcastClips(dir);
const DATA = path.join(dir, 'data');
const pointIds = Array.from({ length: POINTS }, (_, i) => (i === 0 ? 'central' : `d${i}`));

interface Cost {
  seconds: number;
  nodeCpuPct: number;
  workersCpuPct: number;
  /** Node + workers: what is held against bare mediasoup. */
  costCpuPct: number;
  ingressMbps: number;
  egressMbps: number;
  senderCpuPct: number;
}

/** CPU of this process, the workers and the load process over `seconds`. */
async function measure(
  seconds: number,
  workerPids: number[],
  senderPid: number,
  bytes: () => Promise<{ received: number; sent: number }>,
  extra: () => number = () => 0,
): Promise<Cost & { extraCpuPct: number; perWorkerPct: number[]; machinePct: number }> {
  const b0 = await bytes();
  const node0 = process.cpuUsage();
  const w0 = workerPids.map(cpuSeconds);
  const s0 = safeCpu(senderPid);
  const x0 = extra();
  const m0 = machineBusySeconds();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const b1 = await bytes();
  const node = process.cpuUsage(node0);
  const pct = (cpu: number): number => (cpu / elapsed) * 100;
  const perWorkerPct = workerPids.map((pid, i) => pct(cpuSeconds(pid) - (w0[i] ?? 0)));
  const nodeCpuPct = pct((node.user + node.system) / 1e6);
  const workersCpuPct = perWorkerPct.reduce((a, b) => a + b, 0);
  return {
    seconds: round(elapsed),
    nodeCpuPct: round(nodeCpuPct),
    workersCpuPct: round(workersCpuPct),
    costCpuPct: round(nodeCpuPct + workersCpuPct),
    ingressMbps: round(((b1.received - b0.received) * 8) / elapsed / 1e6),
    egressMbps: round(((b1.sent - b0.sent) * 8) / elapsed / 1e6),
    senderCpuPct: round(pct(safeCpu(senderPid) - s0)),
    extraCpuPct: round(pct(extra() - x0)),
    perWorkerPct: perWorkerPct.map((p) => round(p)),
    machinePct: round(pct(machineBusySeconds() - m0) / availableParallelism()),
  };
}

async function barePhase(): Promise<Cost & { consumers: number }> {
  const senders = await SenderProcess.start();
  const workerBin = resolveWorkerBinary(null).path;
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () => mediasoup.createWorker({ workerBin, logLevel: 'warn' })),
  );
  const session = await BareSession.start(workers[0] as mediasoup.types.Worker, senders.sinkPort);
  try {
    for (const id of pointIds) {
      await session.addPoint(id, clips, ffmpeg, (spec) => senders.camera(spec));
    }
    await session.setSpeaker(SPEAKER);
    await new Promise((r) => setTimeout(r, 5000));
    const cost = await measure(
      SECONDS,
      workers.map((w) => w.pid),
      senders.pid,
      () => session.bytes(),
    );
    return { ...cost, consumers: session.consumerCount };
  } finally {
    session.close();
    senders.close();
    for (const worker of workers) {
      worker.close();
    }
  }
}

/** One diemcau session of the 11 synthetic points, their senders in `senders`. */
async function addSession(server: Server, sessionId: string, senders: SenderProcess) {
  const room: Room = (await server.sessions.open(sessionId)).room;
  const publishers: SimulcastPublisher[] = [];
  for (const [i, id] of pointIds.entries()) {
    const peer = await joinSyntheticReceiver(room, id, senders.sinkPort, {
      kind: i === 0 ? 'central' : 'delegate',
      rtpCapabilities: withoutFeedback(await room.rtpCapabilities()),
    });
    publishers.push(
      await SimulcastPublisher.start(room, peer, clips, ffmpeg, (spec) => senders.camera(spec)),
    );
  }
  const speakerCamera = publishers[pointIds.indexOf(SPEAKER)]?.cameraProducerId;
  for (const peer of room.peers.values()) {
    for (const consumer of peer.consumers.values()) {
      if (consumer.type === 'simulcast') {
        const wish = consumer.producerId === speakerCamera ? 2 : 0;
        await room.media.setConsumerPreferredLayers(peer, consumer.id, wish, undefined);
      }
    }
  }
  const archive = path.join(DATA, 'archive', sessionId);
  // Every camera and microphone in the archive before measuring.
  await waitFor(60_000, () => recordingFfmpegs(archive).length >= POINTS);
  return { room, archive };
}

async function roomBytes(rooms: Room[]): Promise<{ received: number; sent: number }> {
  let received = 0;
  let sent = 0;
  for (const room of rooms) {
    for (const peer of room.peers.values()) {
      for (const transport of peer.transports.values()) {
        const direction = (transport.appData as { direction?: string }).direction;
        for (const s of (await transport.getStats()) as {
          bytesSent: number;
          bytesReceived: number;
        }[]) {
          if (direction === 'recv') {
            sent += s.bytesSent;
          } else {
            received += s.bytesReceived;
          }
        }
      }
    }
  }
  return { received, sent };
}

const says = (phase: string, c: Cost): string =>
  `${phase}: workers ${c.workersCpuPct} % + Node ${c.nodeCpuPct} % of a core; in ${c.ingressMbps} Mbit/s, out ${c.egressMbps} Mbit/s`;
// Bare mediasoup before and after diemcau: the machine's drift through the run cancels.
const bareBefore = await barePhase();
console.log(`${says('bare mediasoup', bareBefore)}; ${bareBefore.consumers} consumers`);

const senders = await SenderProcess.start();
const server = await startInProcessServer(DATA, {
  workers: WORKERS,
  env: {
    // A province's 50 Mbit/s for each session: capacity is the workers', not the link's.
    DIEMCAU_BANDWIDTH_LINK_MBPS: String(50 * MAX_SESSIONS),
    DIEMCAU_BANDWIDTH_CENTRAL_ON_LAN: 'false',
  },
});
let figures: Record<string, unknown>;
let diemcauCost: Cost;
try {
  const workerPids = server.pool.health().workers.map((w) => w.pid as number);
  const recorderPid = server.recorder.health().pid as number;
  const rooms: Room[] = [];
  const archives: string[] = [];
  const recorderCpu = (): number =>
    safeCpu(recorderPid) +
    archives.flatMap(recordingFfmpegs).reduce((sum, pid) => sum + safeCpu(pid), 0);
  const first = await addSession(server, 'bench-cost-1', senders);
  rooms.push(first.room);
  archives.push(first.archive);
  await new Promise((r) => setTimeout(r, 5000));
  let peakNodeRss = 0;
  let peakWorkerRss = 0;
  const sampler = setInterval(() => {
    peakNodeRss = Math.max(peakNodeRss, process.memoryUsage().rss);
    peakWorkerRss = Math.max(
      peakWorkerRss,
      workerPids.reduce((sum, pid) => sum + rssBytes(pid), 0),
    );
  }, 1000);
  const diemcau = await measure(
    SECONDS,
    workerPids,
    senders.pid,
    () => roomBytes(rooms),
    recorderCpu,
  );
  clearInterval(sampler);
  const consumers = [...first.room.peers.values()].reduce((n, p) => n + p.consumers.size, 0);
  diemcauCost = diemcau;
  console.log(
    `${says('diemcau', diemcau)}; ${consumers} consumers; recorder + its ffmpegs ${diemcau.extraCpuPct} %`,
  );

  // Capacity: one more session at a time, while every worker stays under the limit.
  const steps: { sessions: number; perWorkerPct: number[]; machinePct: number }[] = [
    { sessions: 1, perWorkerPct: diemcau.perWorkerPct, machinePct: diemcau.machinePct },
  ];
  while (
    rooms.length < MAX_SESSIONS &&
    Math.max(...(steps[steps.length - 1]?.perWorkerPct ?? [0])) < BUSY_LIMIT_PCT
  ) {
    const next = await addSession(server, `bench-cost-${rooms.length + 1}`, senders);
    rooms.push(next.room);
    archives.push(next.archive);
    await new Promise((r) => setTimeout(r, 5000));
    const m = await measure(CAPACITY_SECONDS, workerPids, senders.pid, () => roomBytes(rooms));
    steps.push({ sessions: rooms.length, perWorkerPct: m.perWorkerPct, machinePct: m.machinePct });
    console.log(
      `${rooms.length} sessions: workers ${m.perWorkerPct.join(' / ')} % busy; the machine ${m.machinePct} % (load process ${m.senderCpuPct} % of a core); out ${m.egressMbps} Mbit/s`,
    );
  }
  const under = steps.filter((s) => Math.max(...s.perWorkerPct) < BUSY_LIMIT_PCT);
  figures = {
    points: POINTS,
    consumers,
    seconds: diemcau.seconds,
    nodeCpuPct: diemcau.nodeCpuPct,
    workersCpuPct: diemcau.workersCpuPct,
    recorderCpuPct: diemcau.extraCpuPct,
    ingressMbps: diemcau.ingressMbps,
    egressMbps: diemcau.egressMbps,
    egressPerIngress: round(diemcau.egressMbps / diemcau.ingressMbps, 2),
    workersCpuPctPer100Consumers: round((diemcau.workersCpuPct / consumers) * 100, 2),
    nodeRssMiB: round(peakNodeRss / 2 ** 20),
    workersRssMiB: round(peakWorkerRss / 2 ** 20),
    concurrentSessionsUnder80Pct: under.length ? Math.max(...under.map((s) => s.sessions)) : 0,
    // Whether the count stopped at a worker's limit or at BENCH_MAX_SESSIONS.
    capacityReachedLimit: under.length < steps.length,
    capacity: steps,
  };
} finally {
  senders.close();
  await server.close();
}
const bareAfter = await barePhase();
console.log(says('bare mediasoup again', bareAfter));
const bareCpuPct = (bareBefore.costCpuPct + bareAfter.costCpuPct) / 2;
const ratio = round(diemcauCost.costCpuPct / bareCpuPct, 2);
console.log(`diemcau / bare mediasoup (Node + workers): ${ratio}×`);
const bareFigures = (c: Cost) => ({
  nodeCpuPct: c.nodeCpuPct,
  workersCpuPct: c.workersCpuPct,
  ingressMbps: c.ingressMbps,
  egressMbps: c.egressMbps,
});
// Last, after the server's closing words.
console.log(
  JSON.stringify({
    bench: 'session-cost',
    cpuRatioVsBareMediasoup: ratio,
    ...figures,
    bare: { before: bareFigures(bareBefore), after: bareFigures(bareAfter) },
  }),
);
