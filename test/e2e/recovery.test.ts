import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import {
  TRACK_SOCKETS_SCRIPT,
  joinPage,
  launchBrowser,
  waitForMediaFrom,
} from '../helpers/browser.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// A delegate's network blips and a media worker crashes: every page must come back by
// itself, connected and decoding, within 5 s, without a reload.
const server = await startTestServer({
  DIEMCAU_MEDIASOUP_NUM_WORKERS: '2',
  DIEMCAU_RECORDER_AUTO_START: 'false',
});
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGTERM');
  await server.exited;
});

const SESSION = 'recovery';
const ids = ['central', 'da-nang', 'can-tho'];
const pages = new Map<string, Page>();
for (const id of ids) {
  const role = id === 'central' ? 'host' : 'delegate';
  const page = await joinPage(browser, server.url, tokenFor(SESSION, id, role), {
    initScript: TRACK_SOCKETS_SCRIPT,
  });
  // Gone if the page were reloaded.
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'still-here'));
  pages.set(id, page);
}
const operator = tokenFor(SESSION, 'ops', 'operator');

async function sessionWorkerPid(): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/sessions`, {
    headers: { authorization: `Bearer ${operator}` },
  });
  // Every session the server knows, with what is live of it.
  const body = (await res.json()) as {
    sessions: { id: string; live: { workerPid: number | null } | null }[];
  };
  return body.sessions.find((s) => s.id === SESSION)?.live?.workerPid ?? 0;
}

/** Every page connected and decoding growing media from every other page; ms taken. */
async function allBack(started: number, timeoutMs: number): Promise<number> {
  await Promise.all(
    [...pages.entries()].map(async ([id, page]) => {
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="connection-state"]')?.textContent === 'connected',
        undefined,
        { timeout: timeoutMs },
      );
      await waitForMediaFrom(
        page,
        ids.filter((o) => o !== id),
        Math.max(0, timeoutMs - (Date.now() - started)),
      );
    }),
  );
  return Date.now() - started;
}

async function notReloaded(): Promise<boolean> {
  const markers = await Promise.all(
    [...pages.values()].map((p) =>
      p.evaluate(() => (window as unknown as { marker?: string }).marker),
    ),
  );
  return markers.every((m) => m === 'still-here');
}

t.test('media flows before anything goes wrong', async (t) => {
  t.ok((await allBack(Date.now(), 20_000)) >= 0);
});

t.test("a delegate's signaling connection drops: it reconnects and republishes", async (t) => {
  const page = pages.get('da-nang') as Page;
  const states: string[] = [];
  await page.exposeFunction('reportState', (s: string) => states.push(s));
  await page.evaluate(() => {
    const w = window as unknown as {
      diemcauSession: { on(e: string, l: (s: string) => void): void };
      reportState(s: string): void;
    };
    w.diemcauSession.on('connectionState', (s) => w.reportState(s));
  });
  const started = Date.now();
  await page.evaluate(() => {
    for (const socket of (window as unknown as { __sockets: WebSocket[] }).__sockets) {
      socket.close();
    }
  });
  const took = await allBack(started, 5000);
  t.ok(took <= 5000, `all pages connected and decoding again after ${took} ms`);
  t.ok(
    states.includes('reconnecting'),
    `the page went through reconnecting (${states.join(' → ')})`,
  );
  t.ok(await notReloaded(), 'no page was reloaded');
});

t.test('the mediasoup worker serving the session is killed: the session moves', async (t) => {
  const before = await sessionWorkerPid();
  t.ok(before > 0, `the session runs on worker ${before}`);
  const started = Date.now();
  process.kill(before, 'SIGKILL');
  const took = await allBack(started, 5000);
  t.ok(took <= 5000, `all pages connected and decoding again after ${took} ms`);
  const after = await sessionWorkerPid();
  t.ok(after > 0 && after !== before, `the session now runs on worker ${after}`);
  t.ok(await notReloaded(), 'no page was reloaded');
  const health = await fetch(`${server.url}/healthz`);
  t.equal(health.status, 200, 'the pool is whole again');
});
