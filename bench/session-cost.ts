/**
 * What diemcau costs over bare mediasoup, side by side in one run, and how many
 * sessions this machine carries.
 *
 * The issue's session: 11 points (1 central + 10 delegates), each publishing a 3-layer
 * simulcast camera (pre-encoded VP8 at the SDK's 120/350/900 kbit/s) and Opus, receiving
 * everyone else on a PlainTransport and asking, as the room page does, for the speaker's
 * picture large and everyone else's as a thumbnail; every camera and microphone recorded.
 * The senders (ffmpeg + relays) and the receivers' sink run in load processes of their
 * own (bench/SenderProcess.ts) and send every layer (they do not follow dynacast), so
 * both forward the same load.
 *
 * 1. side by side, at once: the same session on bare mediasoup (bench/BareSession.ts,
 *    in a Node process of its own, bench/BareProcess.ts: a worker of its own, each
 *    point recorded into an ffmpeg that its load process runs, nothing else) and on
 *    diemcau's in-process server as shipped (the room, the governor with 50 Mbit/s for
 *    each session, dynacast, live quality, the recorder process writing the archive),
 *    each fed by a load process of its own. Both are measured over the same windows
 *    (BENCH_SECONDS, default 60, in windows of BENCH_WINDOW_SECONDS, default 15), so the
 *    machine's drift, which moved bare mediasoup's cost by a fifth between two minutes,
 *    weighs on both alike. The cost is each side's workers and Node process: bare
 *    mediasoup's own, and this one for diemcau (all of it: this bench's few reads run in
 *    it too). The recording ffmpegs are shown apart on both sides, and diemcau's
 *    recorder process apart from its ffmpegs (bare mediasoup's ffmpegs are watched from
 *    its load process, not measured), with the ratio it would make if held against
 *    diemcau.
 * 2. capacity: bare mediasoup stopped, sessions added one by one to diemcau's server
 *    (2 workers, one per core), each measured for BENCH_CAPACITY_SECONDS (default 30),
 *    until a worker is 80 % busy or BENCH_MAX_SESSIONS (default 4) run.
 * Last line: JSON.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import type { Room } from '../src/sfu/Room.js';
import { isRecvTransport } from '../src/sfu/mediaLookups.js';
import type { Server } from '../src/Server.js';
import { tempDir } from '../test/helpers/cli.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { BareProcess } from './BareProcess.js';
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
import { startProfile } from './cpuProfile.js';

const POINTS = 11;
const SPEAKER = 'd1';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const WINDOW_SECONDS = Math.min(SECONDS, Number(process.env['BENCH_WINDOW_SECONDS'] ?? 15));
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

type Bytes = { received: number; sent: number };

/** What one side (bare mediasoup or diemcau) spends, read at a window's edges. */
interface Side {
  workerPids: number[];
  /** CPU seconds of its Node process. */
  node: () => number;
  bytes: () => Promise<Bytes>;
  /** CPU seconds of its recording ffmpegs, shown apart. */
  ffmpegs: () => number;
  /** CPU seconds of its recorder process, shown apart (diemcau's). */
  recorder?: () => number;
}

interface Reading {
  at: number;
  node: number;
  workers: number[];
  ffmpegs: number;
  recorder: number;
  bytes: Bytes;
}

/** CPU as % of one core, traffic in Mbit/s, unrounded (ratios are taken of these). */
interface Cost {
  seconds: number;
  nodeCpuPct: number;
  workersCpuPct: number;
  /** Node + workers: what is held against bare mediasoup. */
  costCpuPct: number;
  ingressMbps: number;
  egressMbps: number;
  ffmpegsCpuPct: number;
  recorderCpuPct: number;
  perWorkerPct: number[];
}

async function read(side: Side): Promise<Reading> {
  const bytes = await side.bytes();
  return {
    at: Date.now(),
    node: side.node(),
    workers: side.workerPids.map(cpuSeconds),
    ffmpegs: side.ffmpegs(),
    recorder: side.recorder?.() ?? 0,
    bytes,
  };
}

function cost(from: Reading, to: Reading): Cost {
  const elapsed = (to.at - from.at) / 1000;
  const pct = (cpu: number): number => (cpu / elapsed) * 100;
  const perWorkerPct = to.workers.map((w, i) => pct(w - (from.workers[i] ?? 0)));
  const nodeCpuPct = pct(to.node - from.node);
  const workersCpuPct = perWorkerPct.reduce((a, b) => a + b, 0);
  const mbps = (bytes: number): number => (bytes * 8) / elapsed / 1e6;
  return {
    seconds: elapsed,
    nodeCpuPct,
    workersCpuPct,
    costCpuPct: nodeCpuPct + workersCpuPct,
    ingressMbps: mbps(to.bytes.received - from.bytes.received),
    egressMbps: mbps(to.bytes.sent - from.bytes.sent),
    ffmpegsCpuPct: pct(to.ffmpegs - from.ffmpegs),
    recorderCpuPct: pct(to.recorder - from.recorder),
    perWorkerPct,
  };
}

/** Both sides over the same `seconds`, in windows; each side's cost per window and in all. */
async function sideBySide(seconds: number, sides: { bare: Side; diemcau: Side }) {
  const first = { bare: await read(sides.bare), diemcau: await read(sides.diemcau) };
  let last = first;
  const windowRatios: number[] = [];
  for (let left = seconds; left > 0; left -= WINDOW_SECONDS) {
    await new Promise((r) => setTimeout(r, Math.min(left, WINDOW_SECONDS) * 1000));
    const next = { bare: await read(sides.bare), diemcau: await read(sides.diemcau) };
    const ratio =
      cost(last.diemcau, next.diemcau).costCpuPct / cost(last.bare, next.bare).costCpuPct;
    windowRatios.push(round(ratio, 2));
    console.log(`  window ${windowRatios.length}: diemcau / bare mediasoup ${round(ratio, 2)}×`);
    last = next;
  }
  return {
    bare: cost(first.bare, last.bare),
    diemcau: cost(first.diemcau, last.diemcau),
    windowRatios,
  };
}

/** Machine-wide and per-worker busy % of diemcau's workers over `seconds`. */
async function capacityStep(seconds: number, workerPids: number[], senderPids: number[]) {
  const w0 = workerPids.map(cpuSeconds);
  const s0 = senderPids.map(safeCpu);
  const m0 = machineBusySeconds();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const pct = (cpu: number): number => round((cpu / elapsed) * 100);
  return {
    perWorkerPct: workerPids.map((pid, i) => pct(cpuSeconds(pid) - (w0[i] ?? 0))),
    machinePct: round(pct(machineBusySeconds() - m0) / availableParallelism()),
    senderCpuPct: pct(senderPids.reduce((sum, pid, i) => sum + safeCpu(pid) - (s0[i] ?? 0), 0)),
  };
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

/** What the rooms' points sent in and were sent, read at once (as the bare session reads its own). */
async function roomBytes(rooms: Room[]): Promise<Bytes> {
  const transports = rooms.flatMap((room) =>
    [...room.peers.values()].flatMap((peer) => [...peer.transports.values()]),
  );
  const stats = await Promise.all(
    transports.map(async (transport) => ({
      recv: isRecvTransport(transport),
      stats: await transport.getStats(),
    })),
  );
  let received = 0;
  let sent = 0;
  for (const { recv, stats: list } of stats) {
    for (const s of list) {
      if (recv) {
        sent += s.bytesSent;
      } else {
        received += s.bytesReceived;
      }
    }
  }
  return { received, sent };
}

const says = (phase: string, c: Cost): string =>
  `${phase}: workers ${round(c.workersCpuPct)} % + Node ${round(c.nodeCpuPct)} % of a core; in ${round(c.ingressMbps)} Mbit/s, out ${round(c.egressMbps)} Mbit/s; recording ffmpegs ${round(c.ffmpegsCpuPct)} %`;

const bare = await BareProcess.start({
  clips,
  ffmpeg,
  recordingDir: path.join(dir, 'bare'),
  pointIds,
  speaker: SPEAKER,
});
let figures: Record<string, unknown>;
let senders: SenderProcess | undefined;
let server: Server | undefined;
try {
  console.log(`bare mediasoup: ${bare.started.consumerCount} consumers`);
  senders = await SenderProcess.start();
  server = await startInProcessServer(DATA, {
    workers: WORKERS,
    env: {
      // A province's 50 Mbit/s for each session: capacity is the workers', not the link's.
      DIEMCAU_BANDWIDTH_LINK_MBPS: String(50 * MAX_SESSIONS),
      DIEMCAU_BANDWIDTH_CENTRAL_ON_LAN: 'false',
    },
  });
  const workerPids = server.pool.health().workers.map((w) => w.pid as number);
  const recorderPid = server.recorder.health().pid as number;
  const rooms: Room[] = [];
  const archives: string[] = [];
  const first = await addSession(server, 'bench-cost-1', senders);
  rooms.push(first.room);
  archives.push(first.archive);
  // Looked up once: a scan of /proc at each reading would be this bench's CPU, held
  // against diemcau.
  const diemcauFfmpegs = archives.flatMap(recordingFfmpegs);
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
  const cpuOf = (pids: readonly number[]) => () => pids.reduce((sum, pid) => sum + safeCpu(pid), 0);
  const profiler = await startProfile();
  let both: Awaited<ReturnType<typeof sideBySide>>;
  try {
    both = await sideBySide(SECONDS, {
      bare: {
        workerPids: [bare.started.workerPid],
        node: () => safeCpu(bare.pid),
        bytes: () => bare.bytes(),
        ffmpegs: cpuOf(bare.started.recorderPids),
      },
      diemcau: {
        workerPids,
        node: () => {
          const cpu = process.cpuUsage();
          return (cpu.user + cpu.system) / 1e6;
        },
        bytes: () => roomBytes(rooms),
        ffmpegs: cpuOf(diemcauFfmpegs),
        recorder: () => safeCpu(recorderPid),
      },
    });
  } finally {
    await profiler?.stop();
    clearInterval(sampler);
    // Gone before capacity is measured: its ffmpegs finish their files as it ends.
    await bare.close();
  }
  const diemcau = both.diemcau;
  const consumers = [...first.room.peers.values()].reduce((n, p) => n + p.consumers.size, 0);
  console.log(`${says('bare mediasoup', both.bare)}; ${bare.started.consumerCount} consumers`);
  console.log(
    `${says('diemcau', diemcau)}; ${consumers} consumers; its recorder process ${round(diemcau.recorderCpuPct)} %`,
  );
  const ratio = round(diemcau.costCpuPct / both.bare.costCpuPct, 2);
  // Bare mediasoup's ffmpegs are watched from its load process, which is not measured:
  // held against diemcau alone, its recorder process makes this an upper bound.
  const withRecorder = round(
    (diemcau.costCpuPct + diemcau.recorderCpuPct) / both.bare.costCpuPct,
    2,
  );
  const egressRatio = diemcau.egressMbps / both.bare.egressMbps;
  console.log(
    `diemcau / bare mediasoup (Node + workers): ${ratio}× (windows ${both.windowRatios.join(', ')}); with its recorder process ${withRecorder}×; egress ${round(egressRatio, 3)}×`,
  );
  if (Math.abs(egressRatio - 1) > 0.02) {
    console.log(
      `warning: the two sent different loads (egress ${round(egressRatio, 3)}×): the ratio does not weigh the same work`,
    );
  }
  if (profiler) {
    console.log(
      "warning: profiled: the profiler ran in diemcau's process, its ratio is not comparable",
    );
  }

  // Capacity: one more session at a time, while every worker stays under the limit.
  const steps: { sessions: number; perWorkerPct: number[]; machinePct: number }[] = [];
  for (;;) {
    await new Promise((r) => setTimeout(r, 5000));
    const m = await capacityStep(CAPACITY_SECONDS, workerPids, [senders.pid]);
    steps.push({ sessions: rooms.length, perWorkerPct: m.perWorkerPct, machinePct: m.machinePct });
    console.log(
      `${rooms.length} sessions: workers ${m.perWorkerPct.join(' / ')} % busy; the machine ${m.machinePct} % (load process ${m.senderCpuPct} % of a core)`,
    );
    if (rooms.length >= MAX_SESSIONS || Math.max(...m.perWorkerPct) >= BUSY_LIMIT_PCT) {
      break;
    }
    const next = await addSession(server, `bench-cost-${rooms.length + 1}`, senders);
    rooms.push(next.room);
    archives.push(next.archive);
  }
  const under = steps.filter((s) => Math.max(...s.perWorkerPct) < BUSY_LIMIT_PCT);
  figures = {
    cpuRatioVsBareMediasoup: ratio,
    windowRatios: both.windowRatios,
    workersRatioVsBareMediasoup: round(diemcau.workersCpuPct / both.bare.workersCpuPct, 2),
    cpuRatioWithRecorderProcess: withRecorder,
    egressRatioVsBareMediasoup: round(egressRatio, 3),
    ...(profiler ? { profiled: true } : {}),
    points: POINTS,
    consumers,
    seconds: round(diemcau.seconds),
    nodeCpuPct: round(diemcau.nodeCpuPct),
    workersCpuPct: round(diemcau.workersCpuPct),
    recorderProcessCpuPct: round(diemcau.recorderCpuPct),
    recordingFfmpegsCpuPct: round(diemcau.ffmpegsCpuPct),
    ingressMbps: round(diemcau.ingressMbps),
    egressMbps: round(diemcau.egressMbps),
    egressPerIngress: round(diemcau.egressMbps / diemcau.ingressMbps, 2),
    workersCpuPctPer100Consumers: round((diemcau.workersCpuPct / consumers) * 100, 2),
    nodeRssMiB: round(peakNodeRss / 2 ** 20),
    workersRssMiB: round(peakWorkerRss / 2 ** 20),
    concurrentSessionsUnder80Pct: under.length ? Math.max(...under.map((s) => s.sessions)) : 0,
    // Whether the count stopped at a worker's limit or at BENCH_MAX_SESSIONS.
    capacityReachedLimit: under.length < steps.length,
    capacity: steps,
    bare: {
      nodeCpuPct: round(both.bare.nodeCpuPct),
      workersCpuPct: round(both.bare.workersCpuPct),
      recordingFfmpegsCpuPct: round(both.bare.ffmpegsCpuPct),
      ingressMbps: round(both.bare.ingressMbps),
      egressMbps: round(both.bare.egressMbps),
    },
  };
} finally {
  await bare.close();
  await senders?.close();
  await server?.close();
}
// Last, after the server's closing words.
console.log(JSON.stringify({ bench: 'session-cost', ...figures }));
