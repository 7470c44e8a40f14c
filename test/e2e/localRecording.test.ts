import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { brightness, packetSpan, streamCodecs } from '../helpers/media.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// A delegate point records what it sees and hears into a WebM file on its own PC.
const server = await startTestServer({ DIEMCAU_RECORDER_AUTO_START: 'false' });
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});

t.test('local recording: indicator while it runs, a playable WebM when it stops', async (t) => {
  const SESSION = 'local';
  await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
  const delegate: Page = await joinPage(
    browser,
    server.url,
    tokenFor(SESSION, 'ninh-binh', 'delegate'),
  );
  await new Promise((r) => setTimeout(r, 2000));
  t.equal(
    await delegate.locator('[data-testid="local-recording-indicator"]').isHidden(),
    true,
    'no indicator before',
  );
  await delegate.click('[data-testid="toggle-local-recording"]');
  await delegate.waitForSelector('[data-testid="local-recording-indicator"]:not([hidden])', {
    timeout: 5000,
  });
  t.match(
    await delegate.locator('[data-testid="local-recording-indicator"]').textContent(),
    /Đang ghi tại máy này/,
  );
  await new Promise((r) => setTimeout(r, 6000));
  // The browser saves the file, as it would into the PC's downloads.
  const download = delegate.waitForEvent('download', { timeout: 15_000 });
  await delegate.click('[data-testid="toggle-local-recording"]');
  await delegate.waitForSelector('[data-testid="local-recording-download"]:not([hidden])', {
    timeout: 10_000,
  });
  t.equal(
    await delegate.locator('[data-testid="local-recording-indicator"]').isHidden(),
    true,
    'indicator gone once stopped',
  );
  const name = await delegate.locator('[data-testid="local-recording-download"]').textContent();
  t.match(name, /^diemcau-local-.*\.webm$/, 'named by session and time');
  const saved = await download;
  t.equal(saved.suggestedFilename(), name);
  const file = path.join(tempDir('local-recording'), 'local.webm');
  await saved.saveAs(file);
  t.same(streamCodecs(file).sort(), ['opus', 'vp8'], 'picture and sound');
  const span = packetSpan(file);
  t.ok(span.last - span.first > 4, `${(span.last - span.first).toFixed(1)} s recorded`);
  // Pictures fill the grid (an empty cell is dark grey, ~45 with its label).
  const left = brightness(file, 4, 'iw/2:ih:0:0');
  const right = brightness(file, 4, 'iw/2:ih:iw/2:0');
  t.ok(left > 50 && right > 50, `pictures in the grid (brightness ${left}, ${right})`);
});
