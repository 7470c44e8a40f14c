import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { joinSyntheticPoint, publishClip } from '../../bench/publishClip.js';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { type Manifest, readManifest } from '../../archive/manifest.js';
import { readMatroskaIndex } from '../../archive/matroska.js';
import { readPackets } from '../../archive/probe.js';
import { verifyArchive } from '../../archive/verifyArchive.js';
import type { Server } from '../../src/Server.js';
import type { Peer } from '../../src/sfu/Peer.js';
import { tempDir } from '../helpers/cli.js';
import { startInProcessServer } from '../helpers/inProcessServer.js';
import { makeTestClip } from '../helpers/media.js';

// Synthetic points (ffmpeg sending a clip over RTP) in a server run in this process, so
// it can be stopped and started again on the same data directory.
const dataDir = tempDir('resume');
const ffmpeg = resolveFfmpeg(null).path;
const clip = path.join(tempDir('resume-clip'), 'clip.webm');
makeTestClip(clip, { size: '320x240', videoBitrate: '300k', gop: 50, seconds: 10 });
const senders: ChildProcess[] = [];
let server: Server = await startInProcessServer(dataDir);
t.teardown(async () => {
  senders.forEach((s) => s.kill('SIGKILL'));
  await server.close();
});

const archiveOf = (id: string): string => path.join(dataDir, 'archive', id);
const manifestOf = (id: string): Manifest => readManifest(archiveOf(id)) as Manifest;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(50);
  }
}

/** Two points sending for `seconds`; they leave (the session ends) unless told not to. */
async function holdSession(sessionId: string, seconds: number, leave: boolean): Promise<void> {
  const room = (await server.sessions.open(sessionId)).room;
  const peers: Peer[] = [];
  for (const [pointId, kind] of [
    ['trung-tam', 'central'],
    ['ha-tinh', 'delegate'],
  ] as const) {
    const { peer } = await joinSyntheticPoint(room, pointId, { kind });
    peers.push(peer);
    senders.push(await publishClip(room, peer, clip, ffmpeg));
  }
  await waitFor('both points recorded', 15_000, () =>
    manifestOf(sessionId).events.filter((e) => e.type === 'recording-started').length >= 2
      ? true
      : undefined,
  );
  await sleep(seconds * 1000);
  if (leave) {
    // As a browser leaving does: its producers go first, its recording is stopped after.
    for (const peer of peers) {
      room.leave(peer, 'left');
    }
  }
  senders.splice(0).forEach((s) => s.kill('SIGKILL'));
}

/** Only what the manifest lists is in the archive, besides the manifest and audit log. */
function assertOnlyListed(t: Test, sessionId: string): void {
  const archive = archiveOf(sessionId);
  t.same(readdirSync(archive).sort(), ['audit.jsonl', 'manifest.json', 'media']);
  const listed = manifestOf(sessionId)
    .files.map((f) => path.basename(f.file))
    .sort();
  t.same(readdirSync(path.join(archive, 'media')).sort(), listed, 'media/ holds the listed files');
  t.notOk(existsSync(path.join(dataDir, 'work', sessionId)), 'the working files are gone');
}

/** Each run's final file plays with its length and seeks, as its packets say. */
async function assertPlayable(t: Test, sessionId: string): Promise<void> {
  const files = manifestOf(sessionId).files.filter((f) => f.kind === 'av');
  t.equal(new Set(files.map((f) => f.pointId)).size, 2, 'both points recorded');
  for (const f of files) {
    const full = path.join(archiveOf(sessionId), f.file);
    t.ok(f.joinedFrom, `${f.file}: the run's final file`);
    const index = readMatroskaIndex(full);
    t.ok(index.cues, `${f.file} has a seek index`);
    const packets = await readPackets(ffmpeg, full);
    const end = Math.max(...packets.map((p) => p.pts + p.duration));
    t.ok(
      index.durationSeconds !== null && Math.abs(index.durationSeconds - end) < 0.1,
      `${f.file} lasts ${index.durationSeconds?.toFixed(2)} s, its packets end at ${end.toFixed(2)} s`,
    );
  }
}

t.test('a composite cut short by a shutdown is rendered at the next start', async (t) => {
  const id = 'cut-short';
  await holdSession(id, 25, true);
  // Stop the server the moment the composite starts rendering.
  await waitFor('the composite rendering', 60_000, () =>
    manifestOf(id).composite?.status === 'rendering' ? true : undefined,
  );
  await server.close();
  t.equal(manifestOf(id).composite?.status, 'interrupted', 'marked as cut short, not failed');
  await assertPlayable(t, id);
  assertOnlyListed(t, id);

  const started = Date.now();
  server = await startInProcessServer(dataDir);
  t.ok(Date.now() - started < 15_000, 'the start does not wait for it');
  const m = await waitFor('the composite done', 120_000, () => {
    const status = manifestOf(id).composite?.status;
    return status === 'done' || status === 'failed' ? manifestOf(id) : undefined;
  });
  t.equal(m.composite?.status, 'done', m.composite?.detail ?? '');
  t.ok(
    m.files.some((f) => f.kind === 'composite'),
    'the composite is listed',
  );
  const verified = await verifyArchive(archiveOf(id));
  t.same(verified.problems, [], 'the archive verifies');
  assertOnlyListed(t, id);
});

t.test('a server stopped mid-session: its runs are joined at the next start', async (t) => {
  const id = 'stopped-live';
  await holdSession(id, 4, false);
  await server.close();
  const before = manifestOf(id).files.filter((f) => f.kind === 'av');
  t.ok(
    before.length >= 2 && before.every((f) => f.joinedFrom === undefined),
    'segments left as they were',
  );

  server = await startInProcessServer(dataDir);
  const m = await waitFor('the runs joined and the composite done', 120_000, () => {
    const current = manifestOf(id);
    return current.composite?.status === 'done' || current.composite?.status === 'failed'
      ? current
      : undefined;
  });
  t.equal(m.composite?.status, 'done', m.composite?.detail ?? '');
  t.ok(m.events.filter((e) => e.type === 'recording-joined').length >= 2, 'every run joined');
  await assertPlayable(t, id);
  assertOnlyListed(t, id);
  const verified = await verifyArchive(archiveOf(id));
  t.same(verified.problems, [], 'the archive verifies');
});
