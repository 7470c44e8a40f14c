import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { sha256File } from '../../common/sha256File.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startsWithKeyframe, streamCodecs } from '../helpers/media.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// Two points in Chromium; every point is recorded on the central point's disk, in
// hashed Matroska segments listed in the manifest.
const dataDir = tempDir('recording');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '2',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
const SESSION = 'recorded';
const archive = path.join(dataDir, 'archive', SESSION);

interface Manifest {
  session: { id: string };
  events: { type: string; pointId?: string }[];
  files: {
    file: string;
    sha256: string;
    bytes: number;
    kind: string;
    pointId: string;
    start: string;
    end: string;
  }[];
}
const manifest = (): Manifest =>
  JSON.parse(readFileSync(path.join(archive, 'manifest.json'), 'utf8')) as Manifest;

t.test('each point is recorded, audio and video, in hashed segments', async (t) => {
  const pages: Page[] = [];
  pages.push(await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host')));
  pages.push(await joinPage(browser, server.url, tokenFor(SESSION, 'quang-ninh', 'delegate')));
  await new Promise((r) => setTimeout(r, 5000));
  // The delegate sees that it is being recorded; the host can stop and restart it.
  const delegate = pages[1] as Page;
  const host = pages[0] as Page;
  await delegate.waitForSelector('[data-testid="recording-indicator"]:not([hidden])', {
    timeout: 5000,
  });
  t.match(
    await delegate.locator('[data-testid="recording-indicator"]').textContent(),
    /Đang ghi hình/,
  );
  t.equal(
    await delegate.locator('[data-testid="toggle-recording"]').isHidden(),
    true,
    'no recording switch for a delegate',
  );
  await host.click('[data-testid="toggle-recording"]');
  await delegate.waitForSelector('[data-testid="recording-indicator"]', {
    state: 'hidden',
    timeout: 5000,
  });
  t.pass('the host stopped the recording, and the delegate was told');
  await host.click('[data-testid="toggle-recording"]');
  await delegate.waitForSelector('[data-testid="recording-indicator"]:not([hidden])', {
    timeout: 5000,
  });
  t.pass('recording again');
  await new Promise((r) => setTimeout(r, 5000));
  await pages[1]?.click('[data-testid="leave"]');
  await new Promise((r) => setTimeout(r, 1500));
  // The server stops: the central point's last segment is finished and hashed too.
  server.child.kill('SIGTERM');
  const code = await server.exited;
  if (code !== 0) {
    // What the server was doing while it shut down, for the CI log.
    const from = server.logs.findIndex((l) => l.includes('shutting down'));
    t.comment(server.logs.slice(Math.max(0, from)).join('\n').slice(-6000));
  }
  t.equal(code, 0, 'clean shutdown');

  t.ok(existsSync(path.join(archive, 'manifest.json')), 'manifest.json written');
  const m = manifest();
  t.equal(m.session.id, SESSION);
  for (const pointId of ['central', 'quang-ninh']) {
    const files = m.files.filter((f) => f.pointId === pointId && f.kind === 'av');
    t.ok(files.length >= 2, `${pointId}: ${files.length} segments`);
    for (const f of files) {
      const full = path.join(archive, f.file);
      t.equal(await sha256File(full), f.sha256, `${f.file} matches its manifest hash`);
      const codecs = streamCodecs(full);
      t.ok(codecs.includes('opus'), `${f.file} has the sound`);
      t.ok(
        codecs.some((c) => ['vp8', 'h264', 'vp9'].includes(c)),
        `${f.file} has the picture`,
      );
      t.ok(Date.parse(f.end) >= Date.parse(f.start), 'wall-clock start and end');
    }
    const first = files[0];
    t.ok(
      startsWithKeyframe(path.join(archive, first?.file ?? '')),
      `${pointId}: the recording starts with a keyframe`,
    );
  }
  const types = m.events.map((e) => `${e.type}:${e.pointId ?? ''}`);
  t.ok(
    types.includes('recording-started:central') && types.includes('recording-stopped:quang-ninh'),
    'recording events in the timeline',
  );
  const audit = readFileSync(path.join(archive, 'audit.jsonl'), 'utf8');
  t.match(audit, /"type":"recording-started","pointId":"quang-ninh"/, 'and in the audit log');
});

t.test(
  'verify: an untouched archive passes; a flipped byte, a deleted segment, an added file are named',
  async (t) => {
    const env = { DIEMCAU_DATA_DIR: dataDir };
    const clean = await runCli(['recordings', 'verify', SESSION], env);
    t.equal(clean.code, 0, clean.stdout + clean.stderr);
    t.match(clean.stdout, /hash chain intact; \d+ media files verified/);

    const files = manifest().files;
    const [first, second] = files;
    const flipped = path.join(archive, first?.file ?? '');
    const bytes = readFileSync(flipped);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(flipped, bytes);
    rmSync(path.join(archive, second?.file ?? ''));
    writeFileSync(path.join(archive, 'media', 'smuggled.mkv'), 'not a recording');

    const tampered = await runCli(['recordings', 'verify', SESSION], env);
    t.equal(tampered.code, 1);
    t.match(tampered.stdout, /FAIL .*3 problem/);
    t.match(tampered.stdout, new RegExp(`${first?.file}: content altered`));
    t.match(tampered.stdout, new RegExp(`${second?.file}: missing`));
    t.match(tampered.stdout, /media\/smuggled\.mkv: not in the manifest/);
  },
);
