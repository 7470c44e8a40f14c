import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import WebSocket from 'ws';
import {
  framesDecodedFrom,
  joinPage,
  launchBrowser,
  waitForMediaFrom,
} from '../helpers/browser.js';
import {
  type FloodOutcome,
  floodFromAnotherMachine,
  requestOutcome,
} from '../helpers/floodMachine.js';
import { startTestServer, tokenFor, wsUrl } from '../helpers/session.js';

// A hostile or careless machine on the LAN (here, on 127.0.0.1) against the server's
// limits, with the defaults of config/default.json, while a real session goes on.
const server = await startTestServer({ DIEMCAU_RECORDER_AUTO_START: 'false' });
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGTERM');
  await server.exited;
});
const SESSION = 'flood';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const get = (path: string, token?: string): Promise<FloodOutcome> =>
  requestOutcome(`${server.url}${path}`, token);

/** Opens a WebSocket that never authenticates; resolves with how it ended. */
function idleSocket(): Promise<{ closeCode?: number; openMs: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(server));
    ws.on('error', () => undefined);
    ws.on('close', (code) => resolve({ closeCode: code, openMs: Date.now() - started }));
  });
}

t.test('the network check needs an invitation and is limited per credential', async (t) => {
  t.match(await get('/bandwidth-test?bytes=100000'), {
    status: 401,
    code: 'DC_ERR_TOKEN_MISSING',
  });
  const upload = await fetch(`${server.url}/bandwidth-test`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(512 * 1024),
  });
  t.equal(upload.status, 401, 'an anonymous upload is refused');
  const token = tokenFor(SESSION, 'probe-a', 'delegate');
  const res = await fetch(`${server.url}/bandwidth-test?bytes=999999999`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal((await res.arrayBuffer()).byteLength, 2 * 1024 * 1024, 'at most 2 MiB a download');
  const outcomes: FloodOutcome[] = [];
  for (let i = 0; i < 7; i++) {
    outcomes.push(await get('/bandwidth-test?bytes=1000', token));
  }
  t.same(
    outcomes.map((o) => o.status),
    [200, 200, 200, 200, 200, 429, 429],
    'six a minute per credential (the first download counted)',
  );
  t.equal(outcomes.at(-1)?.code, 'DC_ERR_TOO_MANY_REQUESTS');
  const other = await get('/bandwidth-test?bytes=1000', tokenFor(SESSION, 'probe-b', 'delegate'));
  t.equal(other.status, 200, 'another point is not held back by the first');
});

t.test('a WebSocket that does not authenticate is closed within 5 s', async (t) => {
  const idle = await idleSocket();
  t.equal(idle.closeCode, 4008, 'coded close: authentication timed out');
  t.ok(idle.openMs >= 4500 && idle.openMs < 8000, `closed after ${idle.openMs} ms`);
});

t.test('connections per address are capped; the session keeps its media meanwhile', async (t) => {
  const pages: Page[] = [];
  pages.push(await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host')));
  pages.push(await joinPage(browser, server.url, tokenFor(SESSION, 'ha-giang', 'delegate')));
  const viewer = pages[1] as Page;
  await waitForMediaFrom(viewer, ['central'], 20_000);

  // The flood: idle sockets past the cap, and HTTP requests past the address's limit,
  // for 10 s, while the delegate's picture is sampled every second.
  const floodUntil = Date.now() + 10_000;
  const hammer = floodFromAnotherMachine(server.url, 10_000);
  const frames: number[] = [];
  while (Date.now() < floodUntil) {
    frames.push(await framesDecodedFrom(viewer, 'central', 'camera'));
    await sleep(1000);
  }
  const { http, sockets: ended } = await hammer;

  const refused = ended.filter((s) => s.refused === 429).length;
  t.ok(refused >= 80 - 50, `${refused} of 80 idle sockets refused with 429 (cap 50 an address)`);
  t.ok(
    ended.filter((s) => s.closeCode === 4008).length > 0,
    'the others closed for not authenticating',
  );
  const limited = http.filter((o) => o.status === 429);
  t.ok(limited.length > 0, `${limited.length} of ${http.length} requests limited (300 a minute)`);
  t.ok(
    limited.every((o) => o.code === 'DC_ERR_TOO_MANY_REQUESTS'),
    'each with the coded error',
  );
  const stalls = frames.slice(1).filter((f, i) => f <= (frames[i] ?? 0)).length;
  t.equal(
    stalls,
    0,
    `the delegate decoded new frames every second of the flood (${frames.join(' ')})`,
  );
  t.equal(
    await viewer.locator('[data-testid="connection-state"]').textContent(),
    'connected',
    'and stayed connected',
  );
});
