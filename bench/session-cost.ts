/**
 * Server cost of one 11-point session (1 central + 10 delegates), every point sending
 * audio + video and receiving everyone else, for 60 s: CPU of the Node process and of
 * the mediasoup workers, and RSS.
 *
 * The machine cannot run 11 real browsers alongside the server, so BENCH_BROWSERS
 * points (default 3, the central point among them) are headless Chromium pages and the
 * rest are synthetic points: pre-encoded VP8 + Opus sent by ffmpeg (`-c copy`) into
 * PlainTransports, each also receiving every other point's media on a PlainTransport.
 * The server runs in this process, so "Node CPU" includes this script's small driving work.
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { Room } from '../src/sfu/Room.js';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import { joinPage, launchBrowser } from '../test/helpers/browser.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { makeTestClip } from '../test/helpers/media.js';
import { tokens } from '../test/helpers/session.js';
import { joinSyntheticReceiver, publishClip } from './publishClip.js';
import { cpuSeconds, round, rssBytes } from './procStats.js';

const POINTS = 11;
const BROWSERS = Math.min(POINTS, Number(process.env['BENCH_BROWSERS'] ?? 3));
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const SESSION = 'bench-session-cost';
const dir = mkdtempSync(path.join(tmpdir(), 'diemcau-bench-'));
const ffmpeg = resolveFfmpeg(null).path;
// The SFU's own cost; the recorder has its own bench.
const server = await startInProcessServer(path.join(dir, 'data'), {
  env: { DIEMCAU_RECORDER_AUTO_START: 'false' },
});
const children: ChildProcess[] = [];
const sink = dgram.createSocket('udp4');
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
const browser = await launchBrowser();

try {
  // One pre-encoded clip, sent by every synthetic point: 360p VP8 at ~250 kbit/s in a
  // single layer (a browser's small simulcast layer is ~120 kbit/s) and Opus.
  const clip = path.join(dir, 'clip.webm');
  makeTestClip(clip, { size: '640x360', videoBitrate: '250k', gop: 50, seconds: 20 });

  for (let i = 0; i < BROWSERS; i++) {
    const id = i === 0 ? 'central' : `browser-${i}`;
    const token = tokens.issue(
      {
        sessionId: SESSION,
        pointId: id,
        role: i === 0 ? 'host' : 'delegate',
        pointName: id,
        pointKind: i === 0 ? 'central' : 'delegate',
      },
      3600,
    );
    await joinPage(browser, server.url, token);
  }
  const room: Room = (await server.sessions.open(SESSION)).room;
  for (let i = BROWSERS; i < POINTS; i++) {
    await addSyntheticPoint(room, `synthetic-${i}`);
  }
  console.log(
    `session: ${BROWSERS} real browsers + ${POINTS - BROWSERS} synthetic publishers, measuring ${SECONDS} s`,
  );
  await new Promise((r) => setTimeout(r, 5000)); // let bandwidth estimation settle

  const workerPids = server.pool.health().workers.map((w) => w.pid as number);
  const bytes0 = await transportBytes(room);
  const cpu0 = { node: process.cpuUsage(), workers: workerPids.map(cpuSeconds), at: Date.now() };
  let peakNodeRss = 0;
  let peakWorkerRss = 0;
  const sampler = setInterval(() => {
    peakNodeRss = Math.max(peakNodeRss, process.memoryUsage().rss);
    peakWorkerRss = Math.max(
      peakWorkerRss,
      workerPids.reduce((sum, pid) => sum + rssBytes(pid), 0),
    );
  }, 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(sampler);
  const elapsed = (Date.now() - cpu0.at) / 1000;
  const bytes1 = await transportBytes(room);
  const ingressMbps = ((bytes1.received - bytes0.received) * 8) / elapsed / 1e6;
  const egressMbps = ((bytes1.sent - bytes0.sent) * 8) / elapsed / 1e6;
  const nodeUsage = process.cpuUsage(cpu0.node);
  const nodeCpuPct = ((nodeUsage.user + nodeUsage.system) / 1e6 / elapsed) * 100;
  const workerCpuPct =
    (workerPids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - (cpu0.workers[i] ?? 0), 0) /
      elapsed) *
    100;

  const consumers = [...room.peers.values()].reduce((sum, p) => sum + p.consumers.size, 0);
  const producers = [...room.peers.values()].reduce((sum, p) => sum + p.producers.size, 0);
  console.log(`points ${room.peers.size}, producers ${producers}, consumers ${consumers}`);
  console.log(
    `media through the server: in ${round(ingressMbps)} Mbit/s, out ${round(egressMbps)} Mbit/s`,
  );
  console.log(
    `Node process CPU ${round(nodeCpuPct)} % of one core, RSS peak ${round(peakNodeRss / 2 ** 20)} MiB`,
  );
  console.log(
    `mediasoup workers CPU ${round(workerCpuPct)} % of one core (${workerPids.length} workers, ${availableParallelism()} cores), RSS peak ${round(peakWorkerRss / 2 ** 20)} MiB`,
  );
  console.log(
    JSON.stringify({
      bench: 'session-cost',
      points: room.peers.size,
      realBrowsers: BROWSERS,
      syntheticPublishers: POINTS - BROWSERS,
      producers,
      consumers,
      seconds: round(elapsed),
      ingressMbps: round(ingressMbps),
      egressMbps: round(egressMbps),
      // Ratios measured in the same run travel better between noisy machines.
      egressPerIngress: round(egressMbps / ingressMbps, 2),
      workersCpuPctPer100Consumers: round((workerCpuPct / consumers) * 100, 2),
      nodeCpuPct: round(nodeCpuPct),
      workersCpuPct: round(workerCpuPct),
      nodeRssMiB: round(peakNodeRss / 2 ** 20),
      workersRssMiB: round(peakWorkerRss / 2 ** 20),
    }),
  );
} finally {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  sink.close();
  await browser.close();
  await server.close();
}

async function transportBytes(room: Room): Promise<{ sent: number; received: number }> {
  let sent = 0;
  let received = 0;
  for (const peer of room.peers.values()) {
    for (const transport of peer.transports.values()) {
      for (const stat of await transport.getStats()) {
        sent += stat.bytesSent;
        received += stat.bytesReceived;
      }
    }
  }
  return { sent, received };
}

/**
 * A point that publishes the clip through ffmpeg into a PlainTransport, and receives
 * every other point's media on another PlainTransport, like a browser would.
 */
async function addSyntheticPoint(room: Room, pointId: string): Promise<void> {
  const peer = await joinSyntheticReceiver(room, pointId, sink.address().port);
  const child = await publishClip(room, peer, path.join(dir, 'clip.webm'), ffmpeg);
  children.push(child);
}
