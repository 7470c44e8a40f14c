import t from 'tap';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { Firefox } from '../helpers/firefox.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// The room page in Firefox (Debian's ESR, over WebDriver BiDi) with the central point on
// Chromium: the recording notice holds the join until acknowledged, the page joins and
// says so in Vietnamese, and lays out a stage. What this machine cannot show is Firefox's
// media: its ICE agent gathers only the default route's address (not loopback, whatever
// `media.peerconnection.ice.loopback` says), so it never pairs with a server announcing
// 127.0.0.1, where network tests must stay.
const server = await startTestServer({ DIEMCAU_DATA_DIR: tempDir('firefox') });
showServerWarningsOnFailure(server);
const chromium = await launchBrowser();
const firefox = await Firefox.launch();
t.teardown(async () => {
  await firefox.close();
  await chromium.close();
  server.child.kill('SIGKILL');
});

const SESSION = 'firefox';
// The central point in the room, so the page has a stage and a strip.
await joinPage(chromium, server.url, tokenFor(SESSION, 'central', 'host'));
const page = await firefox.open(
  `${server.url}/join?token=${encodeURIComponent(tokenFor(SESSION, 'ha-noi', 'delegate'))}`,
);

t.test('Firefox: the recording notice, then the room', async (t) => {
  const before = await page.waitFor(
    () => {
      const join = document.querySelector<HTMLButtonElement>('[data-testid="join-button"]');
      const notice = document.querySelector('[data-testid="recording-notice"]');
      return join && notice ? { disabled: join.disabled, notice: notice.textContent } : null;
    },
    undefined,
    15_000,
    'no device check with a recording notice',
  );
  t.equal(before.disabled, true, 'joining waits for the notice to be acknowledged');
  t.match(before.notice, /ghi/i, `the notice: ${before.notice}`);
  await page.evaluate(() => {
    document.querySelector<HTMLInputElement>('[data-testid="recording-consent"]')?.click();
  });
  await page.waitFor(
    () => !document.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.disabled,
    undefined,
    15_000,
    'the join button stayed disabled (no camera or microphone?)',
  );
  await page.evaluate(() => {
    document.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.click();
  });
  const state = await page
    .waitFor(
      () =>
        document.querySelector('[data-testid="connection-state"]')?.textContent === 'connected' &&
        document.querySelector('[data-testid="connection-label"]')?.textContent,
      undefined,
      30_000,
      'not connected',
    )
    .catch(async (err: Error) => {
      const shown = await page.evaluate(() => ({
        state: document.querySelector('[data-testid="connection-state"]')?.textContent,
        error: document.querySelector('[data-testid="error"]')?.textContent,
      }));
      throw new Error(`${err.message}; the page shows ${JSON.stringify(shown)}`);
    });
  t.equal(state, 'đã kết nối', 'the state in Vietnamese');
});

t.test('Firefox lays out the room: a stage and a strip, no overlap', async (t) => {
  const room = await page.waitFor(
    () => {
      const tiles = [...document.querySelectorAll<HTMLElement>('.tiles > .tile[data-point-id]')];
      if (tiles.length !== 2) {
        return null;
      }
      return {
        window: innerWidth * innerHeight,
        tiles: tiles.map((el) => {
          const r = el.getBoundingClientRect();
          return {
            id: el.dataset['pointId'],
            stage: el.dataset['stage'] === 'true',
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
          };
        }) as { id: string; stage: boolean; x: number; y: number; width: number; height: number }[],
      };
    },
    undefined,
    20_000,
    'two tiles',
  );
  const stage = room.tiles.filter((b) => b.stage);
  t.equal(stage.length, 1, 'one tile on the stage');
  const share = ((stage[0]?.width ?? 0) * (stage[0]?.height ?? 0)) / room.window;
  t.ok(share > 0.45, `the stage covers ${(share * 100).toFixed(0)} % of the window`);
  const [a, b] = room.tiles;
  t.ok(
    a &&
      b &&
      (a.x + a.width <= b.x + 1 ||
        b.x + b.width <= a.x + 1 ||
        a.y + a.height <= b.y + 1 ||
        b.y + b.height <= a.y + 1),
    'the two tiles do not overlap',
  );
});
