import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import t from 'tap';
import type { Manifest } from '../../archive/manifest.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { keyframeTimes } from '../helpers/media.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// A point that only listens for a while (microphone muted, camera off) sends no media:
// its recording must neither break nor fill the timeline with gaps, and must go on
// once it speaks again.
const dataDir = tempDir('recording-idle');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '4',
  DIEMCAU_RECORDER_COMPOSITE: 'false',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
const SESSION = 'idle';
const manifest = (): Manifest =>
  JSON.parse(
    readFileSync(path.join(dataDir, 'archive', SESSION, 'manifest.json'), 'utf8'),
  ) as Manifest;

t.test('a point silent and dark for 15 s: no gap, recorded again when it speaks', async (t) => {
  const page = await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
  await new Promise((r) => setTimeout(r, 4000));
  await page.click('[data-testid="toggle-mic"]');
  await page.click('[data-testid="toggle-camera"]');
  await new Promise((r) => setTimeout(r, 15_000));
  await page.click('[data-testid="toggle-mic"]');
  await page.click('[data-testid="toggle-camera"]');
  const resumedAt = Date.now();
  await new Promise((r) => setTimeout(r, 6000));
  t.ok(
    server.logs.some((l) => l.includes('video flows again')),
    'the stall was seen, and a keyframe asked for as the picture came back',
  );
  const events = manifest().events.map((e) => e.type);
  t.notOk(events.includes('recording-interrupted'), `no interruption (${events.join(', ')})`);
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0);
  const files = manifest().files.filter((f) => f.kind === 'av');
  t.ok(
    files.some((f) => Date.parse(f.end) > resumedAt + 2000),
    'recorded after the point spoke again',
  );
  // The picture is whole again within a second of the camera coming back.
  const run = files.filter((f) => f.run === files[0]?.run);
  const runStart = Date.parse(run[0]?.start ?? '');
  const keyframes = run.flatMap((f) =>
    keyframeTimes(path.join(dataDir, 'archive', SESSION, f.file)),
  );
  const after = keyframes.map((k) => runStart + k * 1000 - resumedAt).filter((d) => d >= -500);
  t.ok(
    after.length > 0 && Math.min(...after) < 1500,
    `a keyframe ${Math.min(...after).toFixed(0)} ms after the camera came back`,
  );
  const verify = await runCli(['recordings', 'verify', SESSION], { DIEMCAU_DATA_DIR: dataDir });
  t.equal(verify.code, 0, verify.stdout);
});

t.test(
  'a server stopped mid-session: finalize joins the segments and renders the composite',
  async (t) => {
    const env = { DIEMCAU_DATA_DIR: dataDir };
    const before = manifest().files.filter((f) => f.kind === 'av');
    t.ok(before.length >= 2, `${before.length} segments left by the stop`);
    const done = await runCli(['recordings', 'finalize', SESSION], env);
    t.equal(done.code, 0, done.stdout + done.stderr);
    t.match(done.stdout, /joined 1 run\(s\) into one file each/);
    t.match(done.stdout, /composite: done \(1 points/);
    t.match(done.stderr, /composite \d+%/, 'progress shown');
    t.match(done.stdout, /^OK /m);
    const after = manifest();
    const joined = after.files.filter((f) => f.kind === 'av');
    t.equal(joined.length, 1, 'one file for the run');
    t.equal(joined[0]?.joinedFrom?.length, before.length, 'made of every segment');
    t.ok(
      after.files.some((f) => f.kind === 'composite'),
      'the composite listed',
    );
    t.equal(after.composite?.status, 'done');
  },
);
