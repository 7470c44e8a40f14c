/**
 * What recording costs, and how long the archive takes to be final.
 *
 * For 1 and then 10 points recorded at once (each a synthetic point: pre-encoded 720p
 * VP8 at ~1.5 Mbit/s + Opus sent by ffmpeg into PlainTransports, as a browser's top
 * layer would be), for BENCH_SECONDS (default 60): CPU of the recorder process and its
 * ffmpegs per recorded point, and bytes written to disk per minute against bytes the
 * SFU received from those points. Then the session ends: the time until every point's
 * file is joined and verified, and the composite record's render speed (× real time).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Peer } from '../src/sfu/Peer.js';
import type { Room } from '../src/sfu/Room.js';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import type { Manifest } from '../archive/manifest.js';
import { verifyArchive } from '../archive/verifyArchive.js';
import { tempDir } from '../test/helpers/cli.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { makeTestClip } from '../test/helpers/media.js';
import { joinSyntheticPoint, publishClip } from './publishClip.js';
import { cpuSeconds, recordingFfmpegs, round, safeCpu, waitFor } from './procStats.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const dir = tempDir('bench-recorder');
const dataDir = path.join(dir, 'data');
const ffmpeg = resolveFfmpeg(null).path;
const server = await startInProcessServer(dataDir, {
  env: { DIEMCAU_RECORDER_SEGMENT_SECONDS: '10', DIEMCAU_RECORDER_MIN_FREE_DISK_MB: '256' },
});
const senders: ChildProcess[] = [];
const clip = path.join(dir, 'clip720.webm');
makeTestClip(clip, { size: '1280x720', videoBitrate: '1500k', gop: 100, seconds: 20 });

interface Phase {
  points: number;
  recorderCpuPctPerPoint: number;
  receivedMbps: number;
  diskMiBPerMinute: number;
  diskPerReceived: number;
  endToVerifiedSeconds: number;
  compositeSpeed: number;
  compositeSeconds: number;
}

try {
  const phases: Phase[] = [];
  for (const points of [1, 10]) {
    phases.push(await phase(points));
  }
  for (const p of phases) {
    console.log(
      `${p.points} point(s): recorder ${p.recorderCpuPctPerPoint} % of a core per point; ` +
        `received ${p.receivedMbps} Mbit/s, disk ${p.diskMiBPerMinute} MiB/min (${p.diskPerReceived}× received); ` +
        `session end → verified files ${p.endToVerifiedSeconds} s; composite ${p.compositeSpeed}× real time`,
    );
  }
  const [one, ten] = phases as [Phase, Phase];
  console.log(
    JSON.stringify({
      bench: 'recorder',
      publishers:
        'synthetic (pre-encoded 720p VP8 ~1.5 Mbit/s + Opus, ffmpeg into PlainTransports)',
      seconds: SECONDS,
      cores: availableParallelism(),
      onePoint: one,
      tenPoints: ten,
      // Ratios from the same run: what ten points cost per point against one.
      cpuPerPointTenVsOne: round(ten.recorderCpuPctPerPoint / one.recorderCpuPctPerPoint, 2),
      diskPerReceivedTen: ten.diskPerReceived,
    }),
  );
} finally {
  for (const child of senders) {
    child.kill('SIGKILL');
  }
  await server.close();
}

async function phase(points: number): Promise<Phase> {
  const sessionId = `bench-recorder-${points}`;
  const room = (await server.sessions.open(sessionId)).room;
  const peers: Peer[] = [];
  for (let i = 0; i < points; i++) {
    peers.push(await addPublisher(room, `point-${i}`));
  }
  const archive = path.join(dataDir, 'archive', sessionId);
  // Every point's recording under way before measuring.
  await waitFor(30_000, () => recordingFfmpegs(archive).length >= points);
  await new Promise((r) => setTimeout(r, 3000));
  const recorderPid = server.recorder.health().pid as number;
  // ffmpeg runs for the whole phase (it cuts segments itself): no process is missed.
  const cpu = (): number =>
    cpuSeconds(recorderPid) + recordingFfmpegs(archive).reduce((s, pid) => s + safeCpu(pid), 0);
  const cpu0 = cpu();
  const disk0 = bytesIn(path.join(archive, 'media'));
  const rx0 = await producerBytes(room);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (Date.now() - t0) / 1000;
  const cpuPct = ((cpu() - cpu0) / elapsed) * 100;
  const disk = bytesIn(path.join(archive, 'media')) - disk0;
  const received = (await producerBytes(room)) - rx0;

  // The session ends: every point leaves.
  const ended = Date.now();
  for (const peer of peers) {
    room.leave(peer, 'left');
  }
  for (const child of senders.splice(0)) {
    child.kill('SIGKILL');
  }
  const manifestFile = path.join(archive, 'manifest.json');
  const manifest = (): Manifest => JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  // Every point's one run joined (counting the runs listed would pass at once for runs
  // too short to have closed a segment yet).
  await waitFor(
    600_000,
    () => manifest().events.filter((e) => e.type === 'recording-joined').length >= points,
  );
  const verified = await verifyArchive(archive);
  if (!verified.ok) {
    throw new Error(`archive does not verify: ${verified.problems.join('; ')}`);
  }
  const endToVerifiedSeconds = (Date.now() - ended) / 1000;
  const compositeStarted = Date.now();
  await waitFor(3_600_000, () => ['done', 'failed'].includes(manifest().composite?.status ?? ''));
  const m = manifest();
  if (m.composite?.status !== 'done') {
    throw new Error(`composite failed: ${m.composite?.detail}`);
  }
  const composite = m.files.find((f) => f.kind === 'composite');
  const compositeSeconds = composite
    ? (Date.parse(composite.end) - Date.parse(composite.start)) / 1000
    : 0;
  const compositeWall = (Date.now() - compositeStarted) / 1000;
  return {
    points,
    recorderCpuPctPerPoint: round(cpuPct / points, 2),
    receivedMbps: round((received * 8) / elapsed / 1e6, 2),
    diskMiBPerMinute: round(disk / 2 ** 20 / (elapsed / 60), 1),
    diskPerReceived: round(disk / received, 3),
    endToVerifiedSeconds: round(endToVerifiedSeconds, 1),
    compositeSeconds: round(compositeSeconds, 1),
    compositeSpeed: round(compositeSeconds / compositeWall, 2),
  };
}

function bytesIn(media: string): number {
  if (!existsSync(media)) {
    return 0;
  }
  return readdirSync(media)
    .filter((f) => f.endsWith('.mkv'))
    .reduce((sum, f) => sum + statSync(path.join(media, f)).size, 0);
}

async function producerBytes(room: Room): Promise<number> {
  let bytes = 0;
  for (const peer of room.peers.values()) {
    for (const producer of peer.producers.values()) {
      for (const stat of await producer.getStats()) {
        bytes += stat.byteCount;
      }
    }
  }
  return bytes;
}

/** A point publishing the 720p clip through ffmpeg into PlainTransports. */
async function addPublisher(room: Room, pointId: string): Promise<Peer> {
  const { peer } = await joinSyntheticPoint(room, pointId);
  senders.push(await publishClip(room, peer, clip, ffmpeg));
  return peer;
}
