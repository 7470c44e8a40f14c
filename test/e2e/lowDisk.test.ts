import { closeSync, openSync, readFileSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import t from 'tap';
import type { Manifest } from '../../archive/manifest.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { mountTmpfs } from '../helpers/disk.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// The archive on a small disk: once free space falls below the threshold the alarm is
// raised everywhere an operator looks, recording stops cleanly, and what was already
// written still verifies.
const dataDir = tempDir('low-disk');
mountTmpfs(t, dataDir, 96);
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '2',
  DIEMCAU_RECORDER_MIN_FREE_DISK_MB: '48',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
const SESSION = 'low-disk';
const archive = path.join(dataDir, 'archive', SESSION);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('the disk fills: alarm, clean stop, earlier files intact', async (t) => {
  const host = await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
  await host.waitForSelector('[data-testid="recording-indicator"]:not([hidden])', {
    timeout: 10_000,
  });
  await sleep(5000);
  // Something else fills the disk until 40 MiB are left (below the 48 MiB threshold).
  const s = statfsSync(dataDir);
  const fill = s.bavail * s.bsize - 40 * 1048576;
  const fd = openSync(path.join(dataDir, 'other-program.bin'), 'w');
  const chunk = Buffer.alloc(1048576, 7);
  for (let written = 0; written < fill; written += chunk.length) {
    writeSync(fd, chunk, 0, Math.min(chunk.length, fill - written));
  }
  closeSync(fd);

  await host.waitForSelector('[data-testid="recording-alarm"]:not([hidden])', { timeout: 5000 });
  t.match(
    await host.locator('[data-testid="recording-alarm"]').textContent(),
    /ổ đĩa lưu trữ gần đầy/,
    'the host is told, in Vietnamese',
  );
  await host.waitForSelector('[data-testid="recording-indicator"]', {
    state: 'hidden',
    timeout: 5000,
  });
  t.pass('recording stopped, and every point is told');
  const health = await fetch(`${server.url}/healthz`);
  t.equal(health.status, 503, '/healthz degraded');
  const body = (await health.json()) as { disk: { low: boolean; freeMb: number } };
  t.equal(body.disk.low, true);
  t.ok(body.disk.freeMb < 48, `${body.disk.freeMb} MiB free`);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.match(metrics, /diemcau_archive_disk_low 1/);
  t.ok(
    server.logs.some((l) => l.includes('ALARM: archive disk almost full')),
    'the alarm is logged',
  );
  // Recording cannot be switched on again until there is room.
  await host.click('[data-testid="toggle-recording"]');
  await host.waitForSelector('[data-testid="error"][data-code="DC_ERR_DISK_LOW"]', {
    timeout: 5000,
  });
  t.pass('switching recording on is refused with DC_ERR_DISK_LOW');

  const m = JSON.parse(readFileSync(path.join(archive, 'manifest.json'), 'utf8')) as Manifest;
  const types = m.events.map((e) => e.type);
  t.ok(types.includes('recording-alarm') && types.includes('recording-disabled'));
  t.ok(m.files.length >= 2, `${m.files.length} segments written before the alarm`);
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0, 'clean shutdown');
  // The files written before the alarm are intact; the time not recorded is named.
  const verify = await runCli(['recordings', 'verify', SESSION], { DIEMCAU_DATA_DIR: dataDir });
  t.equal(verify.code, 1, 'not a complete record: exit 1');
  t.match(verify.stdout, /WITH GAPS; 0 problem\(s\), 1 gap\(s\)/, 'nothing damaged');
  t.match(verify.stdout, /gap: every point: [\d.]+ s not recorded from .*low-disk alarm/);
});
