import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import type { Manifest } from '../../archive/manifest.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { mountTmpfs } from '../helpers/disk.js';
import { packetSpan, startsWithKeyframe, streamCodecs } from '../helpers/media.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// A recording survives its ffmpeg and the recorder process being killed (resumed within
// 3 s, the gap written down, what was being written kept readable), is joined into one
// verified file per run when the session ends, gets its composite record, and is
// exported to another disk, verified there.
const dataDir = tempDir('recorder-crash');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '2',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
showServerWarningsOnFailure(server);
const SESSION = 'crash';
const archive = path.join(dataDir, 'archive', SESSION);
const manifest = (): Manifest =>
  JSON.parse(readFileSync(path.join(archive, 'manifest.json'), 'utf8')) as Manifest;
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
      // Not there yet (a manifest being renamed into place, say).
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

/** ffmpeg processes recording into this archive, by run name. */
function recordingFfmpegs(): { pid: number; run: string }[] {
  const found: { pid: number; run: string }[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // Its output: `<archive>/media/<run>-%05d.mkv`.
      const output = cmd.find(
        (a) => a.startsWith(path.join(archive, 'media')) && a.endsWith('-%05d.mkv'),
      );
      if (cmd[0]?.includes('ffmpeg') && output) {
        found.push({ pid: Number(pid), run: path.basename(output, '-%05d.mkv') });
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

let page: Page;

t.test(
  'ffmpeg killed mid-recording: resumed within 3 s, gap recorded, the cut segment readable',
  async (t) => {
    page = await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
    const first = await waitFor('a recording ffmpeg', 15_000, () => recordingFfmpegs()[0]);
    await sleep(5000);
    const killedAt = Date.now();
    process.kill(first.pid, 'SIGKILL');
    const resumed = await waitFor('recording-resumed', 10_000, () =>
      manifest().events.find((e) => e.type === 'recording-resumed'),
    );
    const gapMs = Number(resumed.detail?.['gapMs']);
    t.ok(gapMs <= 3000, `recording resumed ${gapMs} ms after the kill`);
    t.ok(
      manifest().events.some(
        (e) => e.type === 'recording-interrupted' && e.detail?.['name'] === first.run,
      ),
      'the interruption is in the timeline',
    );
    // Not only in the timeline: the chair is told, /healthz and /metrics show it.
    const problem = page.locator('[data-testid="recording-problem"]');
    await problem.waitFor({ state: 'visible', timeout: 5000 });
    t.match(await problem.textContent(), /Sự cố ghi hình .*ffmpeg exited/);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
      recording: { problems: { kind: string; sessionId: string; pointId?: string }[] };
    };
    t.match(health.recording.problems, [
      { kind: 'interrupted', sessionId: SESSION, pointId: 'central' },
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    t.match(metrics, /^diemcau_recording_problems_total\{kind="interrupted"\} 1$/m);
    t.ok(
      server.logs.some(
        (l) =>
          l.includes('"level":50') &&
          l.includes('recording problem') &&
          l.includes('"pointId":"central"'),
      ),
      'logged at error level with the session and point',
    );
    // What the run left is taken in (the segment cut by the kill, unless it was cut
    // before its first frame) and reads up to the kill.
    await sleep(2000);
    const run = manifest().files.filter((f) => f.run === first.run);
    // Segments keep the run's timestamps (zero at the run's start).
    const runStart = Math.min(...run.map((f) => Date.parse(f.start)));
    const readableUntil =
      runStart + Math.max(...run.map((f) => packetSpan(path.join(archive, f.file)).last)) * 1000;
    t.ok(
      readableUntil >= killedAt - 2000,
      `the run reads up to ${killedAt - readableUntil} ms before the kill` +
        ` (${run.filter((f) => f.interrupted).length} segment cut short)`,
    );
    const audit = readFileSync(path.join(archive, 'audit.jsonl'), 'utf8');
    t.match(audit, /"type":"recording-interrupted"/, 'and in the audit log');
    t.match(audit, /"type":"recording-resumed"/);
  },
);

t.test(
  'the recorder process killed: resumed within 3 s, the orphan finishes its segment',
  async (t) => {
    await sleep(3000);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
      recorder: { pid: number };
    };
    const running = recordingFfmpegs()[0];
    t.ok(running, 'a run is being recorded');
    process.kill(health.recorder.pid, 'SIGKILL');
    const resumed = await waitFor('a resume after the recorder died', 10_000, () =>
      manifest().events.find(
        (e) =>
          e.type === 'recording-resumed' && e.detail?.['after'] === 'the recorder process died',
      ),
    );
    t.ok(
      Number(resumed.detail?.['gapMs']) <= 3000,
      `resumed after ${Number(resumed.detail?.['gapMs'])} ms`,
    );
    // Told to finish, the orphan closed its segment like a normal stop.
    await waitFor('the orphan gone', 5000, () =>
      recordingFfmpegs().every((f) => f.run !== running?.run),
    );
    const orphanFiles = await waitFor('the orphan segments in the manifest', 5000, () => {
      const files = manifest().files.filter((f) => f.run === running?.run);
      return files.length > 0 ? files : undefined;
    });
    t.ok(orphanFiles.length >= 1, `${orphanFiles.length} segments of the orphaned run listed`);
    await sleep(4000);
  },
);

t.test('session end: one verified file per run, then the composite record', async (t) => {
  await page.click('[data-testid="leave"]');
  const m = await waitFor('the composite', 90_000, () => {
    const current = manifest();
    return current.composite?.status === 'done' || current.composite?.status === 'failed'
      ? current
      : undefined;
  });
  t.equal(m.composite?.status, 'done', m.composite?.detail ?? '');
  const runs = new Set(m.files.filter((f) => f.kind === 'av').map((f) => f.run));
  t.ok(runs.size >= 3, `${runs.size} runs (start, after the ffmpeg kill, after the recorder kill)`);
  for (const f of m.files.filter((x) => x.kind === 'av')) {
    t.ok(
      f.joinedFrom && f.joinedFrom.length >= 1,
      `${f.file}: joined from ${f.joinedFrom?.length} segments`,
    );
    const full = path.join(archive, f.file);
    t.ok(startsWithKeyframe(full), `${f.file} starts with a keyframe`);
    t.same(streamCodecs(full).sort(), ['opus', 'vp8'], 'sound and picture, as sent');
  }
  const media = readdirSync(path.join(archive, 'media')).filter((f) => /\.(mkv|mp4)$/.test(f));
  t.ok(
    media.every((f) => (statSync(path.join(archive, 'media', f)).mode & 0o077) === 0),
    'media files are readable by the archive owner only (0600)',
  );
  t.equal(media.length, m.files.length, 'the segments are gone; only the listed files remain');
  const composite = m.files.find((f) => f.kind === 'composite');
  t.ok(composite, 'the composite is listed with its hash');
  t.same(streamCodecs(path.join(archive, composite?.file ?? '')).sort(), ['aac', 'h264']);
  // Every file intact; the two crashes are the record's two gaps, each named with its cause.
  const verify = await runCli(['recordings', 'verify', SESSION], { DIEMCAU_DATA_DIR: dataDir });
  t.equal(verify.code, 1, 'not a complete record: exit 1');
  t.match(verify.stdout, /WITH GAPS; 0 problem\(s\), 2 gap\(s\)/, verify.stdout);
  t.match(verify.stdout, /gap: central: [\d.]+ s not recorded from .*\(ffmpeg exited \(SIGKILL\)/);
  t.match(
    verify.stdout,
    /gap: central: [\d.]+ s not recorded from .*\(the recorder process died\)/,
  );
  const audit = readFileSync(path.join(archive, 'audit.jsonl'), 'utf8');
  t.match(audit, /"type":"recording-joined"/);
  t.match(audit, /"type":"composite-rendered"/);
});

t.test('export: refused without room, else copied with progress and verified', async (t) => {
  const env = { DIEMCAU_DATA_DIR: dataDir };
  const small = tempDir('export-small');
  mountTmpfs(t, small, 1);
  const refused = await runCli(['recordings', 'export', SESSION, '--to', small], env);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /refused: the target needs [\d.]+ MiB and has [\d.]+ MiB free/);
  t.same(readdirSync(small), [], 'nothing written');

  const drive = tempDir('export-drive');
  const done = await runCli(['recordings', 'export', SESSION, '--to', drive], env);
  t.equal(done.code, 0, done.stdout + done.stderr);
  t.match(done.stderr, /copied 100%/);
  t.match(done.stdout, /OK .*hash chain intact/);
  const copy = path.join(drive, SESSION);
  const again = await runCli(['recordings', 'verify', copy], env);
  t.match(again.stdout, /WITH GAPS; 0 problem\(s\), 2 gap\(s\)/, 'the copy verifies on its own');
  const again2 = await runCli(['recordings', 'export', SESSION, '--to', drive], env);
  t.equal(again2.code, 1, 'an existing copy is not overwritten');
  // A copy damaged later, on the drive, is caught by verify.
  const manifestCopy = JSON.parse(
    readFileSync(path.join(copy, 'manifest.json'), 'utf8'),
  ) as Manifest;
  const victim = path.join(copy, manifestCopy.files[0]?.file ?? '');
  const bytes = readFileSync(victim);
  bytes[100] = (bytes[100] ?? 0) ^ 1;
  writeFileSync(victim, bytes);
  const damaged = await runCli(['recordings', 'verify', copy], env);
  t.equal(damaged.code, 1);
  t.match(damaged.stdout, /content altered/);
});
