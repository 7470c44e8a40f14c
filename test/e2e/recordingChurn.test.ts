import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { type Manifest, readManifest } from '../../archive/manifest.js';
import { probeMedia } from '../../archive/probe.js';
import { joinPage, launchBrowser, waitForState } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// What a new operator did with a 4-point session in Chromium, the way it went wrong in
// the field: points join, are muted, the session locked, one removed, one rejoins by
// reloading its page, one leaves a moment after joining, the recording is switched off
// and on (once quickly). The record must then be whole, or say exactly what is not.
const dataDir = tempDir('churn');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '4',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
showServerWarningsOnFailure(server);
const SESSION = 'churn';
const archive = path.join(dataDir, 'archive', SESSION);
const ffmpeg = resolveFfmpeg(null).path;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const manifest = (): Manifest => readManifest(archive) as Manifest;

async function waitFor<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined) {
        return value;
      }
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(200);
  }
}

const join = (pointId: string, role: 'host' | 'delegate'): Promise<Page> =>
  joinPage(browser, server.url, tokenFor(SESSION, pointId, role));

t.test('a churning session: every recorded file plays, and verify tells the truth', async (t) => {
  const host = await join('central', 'host');
  const hanoi = await join('ha-noi', 'delegate');
  const hue = await join('hue', 'delegate');
  const camau = await join('ca-mau', 'delegate');
  await sleep(5000);

  // The chair mutes one point and locks the session.
  await host.click('.tile[data-point-id="hue"] [data-testid="op-mute"]');
  await host.click('[data-testid="toggle-lock"]');
  await sleep(2000);
  // One point rejoins by reloading its page (admitted already: the lock lets it in).
  await hanoi.reload();
  await hanoi.check('[data-testid="recording-consent"]', { timeout: 15_000 });
  await hanoi.click('[data-testid="join-button"]:not([disabled])', { timeout: 15_000 });
  await waitForState(hanoi, 'connected', 30_000);
  await sleep(3000);
  // The recording is switched off and on: once for a while, once at once.
  await host.click('[data-testid="toggle-recording"]');
  await sleep(3000);
  await host.click('[data-testid="toggle-recording"]');
  await sleep(1500);
  await host.click('[data-testid="toggle-recording"]');
  await sleep(300);
  await host.click('[data-testid="toggle-recording"]');
  await sleep(4000);
  // One point is removed; the session is unlocked and a late point joins and leaves at once.
  host.once('dialog', (d) => void d.accept());
  await host.click('.tile[data-point-id="ca-mau"] [data-testid="op-remove"]');
  await camau.waitForSelector('[data-testid="left"]:not([hidden])', { timeout: 10_000 });
  await host.click('[data-testid="toggle-lock"]');
  const late = await join('bac-kan', 'delegate');
  await sleep(700);
  await late.close();
  await sleep(5000);
  // The session ends: everyone leaves.
  for (const page of [hue, hanoi, host]) {
    await page.click('[data-testid="leave"]');
    await sleep(300);
  }

  const m = await waitFor('the composite', 120_000, () => {
    const current = manifest();
    return ['done', 'failed'].includes(current.composite?.status ?? '') ? current : undefined;
  });
  const runs = new Set(
    m.events.filter((e) => e.type === 'recording-started').map((e) => e.detail?.['name']),
  );
  t.ok(runs.size >= 8, `${runs.size} recording runs in the session`);
  for (const f of m.files) {
    const full = path.join(archive, f.file);
    t.ok(statSync(full).size > 0, `${f.file} is not empty`);
    const probe = await probeMedia(ffmpeg, full).catch(() => null);
    t.ok(probe && (probe.audio || probe.video), `${f.file} opens in ffmpeg`);
  }
  t.equal(m.composite?.status, 'done', `the composite record: ${m.composite?.detail ?? ''}`);
  const media = readdirSync(path.join(archive, 'media')).sort();
  t.same(media, m.files.map((f) => path.basename(f.file)).sort(), 'only the listed files');
  t.notOk(existsSync(path.join(dataDir, 'work', SESSION)), 'no working file left');

  const env = { DIEMCAU_DATA_DIR: dataDir };
  const verify = await runCli(['recordings', 'verify', SESSION, '--json'], env);
  const v = JSON.parse(verify.stdout) as {
    status: string;
    problems: string[];
    gaps: string[];
    pauses: string[];
  };
  t.same(v.problems, [], 'nothing damaged or failed');
  t.same(v.gaps, [], 'every point recorded for as long as it was present and recorded');
  t.equal(v.pauses.length, 2, 'the two times the chair switched the recording off');
  t.equal(v.status, 'complete');
  t.equal(verify.code, 0);
  const list = await runCli(['recordings', 'list', '--json'], env);
  t.match(JSON.parse(list.stdout), {
    sessions: [{ sessionId: SESSION, status: 'complete', intact: true }],
  });
});
