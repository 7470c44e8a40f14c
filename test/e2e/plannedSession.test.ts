import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import type { Manifest } from '../../archive/manifest.js';
import {
  OUTAGE_SCRIPT,
  joinPage,
  launchBrowser,
  setOffline,
  waitForMediaFrom,
  waitForState,
} from '../helpers/browser.js';
import { DIEMCAU_BIN, cleanEnv, runCli, tempDir } from '../helpers/cli.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer } from '../helpers/session.js';
import { apiCall } from '../helpers/api.js';

// A planned session in real Chromium: the central point joins by its link, a delegate
// by the login and password of its invitation; every point's network drops for longer
// than the reconnection grace and comes back; the session is still the same, with one
// archive whose timeline has the drop; the operator ends it and it is archived.
const dataDir = tempDir('planned-session');
const env = { DIEMCAU_DATA_DIR: dataDir };
const server = await startTestServer({
  ...env,
  DIEMCAU_SESSIONS_RECONNECT_GRACE_SECONDS: '2',
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '4',
  DIEMCAU_RECORDER_COMPOSITE: 'false',
});
showServerWarningsOnFailure(server);
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});

const cliEnv = { ...env, DIEMCAU_AUTH_JWT_SECRET: 'test-secret-for-diemcau-tests-0123456789' };
const SESSION = 'tcd-ha-noi';

const start = new Date(Date.now() + 3_600_000);
let operatorToken = '';

let centralLink = '';
let delegate = { login: '', password: '' };

t.test('the session is planned and opened', async (t) => {
  const made = spawnSync(DIEMCAU_BIN, ['operator', 'add', 'clerk', '--password-stdin'], {
    input: 'a long enough password\n',
    env: { ...cleanEnv(), ...cliEnv },
    encoding: 'utf8',
  });
  t.equal(made.status, 0, made.stderr);
  const token = (await runCli(['operator', 'token', 'clerk'], cliEnv)).stdout.trim();
  const call = async (method: string, route: string, body?: unknown) =>
    (await apiCall(server.url, method, route, { token, body })).body;
  const created = await call('POST', '/sessions', {
    id: SESSION,
    title: 'Tiếp công dân: khiếu nại về thu hồi đất',
    category: 'a',
    hostLevel: 'province',
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    points: [
      { id: 'central', kind: 'central', name: 'Trụ sở tiếp công dân' },
      { id: 'dong-anh', kind: 'delegate', name: 'UBND huyện Đông Anh' },
    ],
  });
  t.equal(created.state, 'planned');
  centralLink = (await call('POST', `/sessions/${SESSION}/points/central/credential`)).joinUrl;
  delegate = await call('POST', `/sessions/${SESSION}/points/dong-anh/credential`);
  t.equal((await call('GET', `/sessions/${SESSION}`)).state, 'invited');
  const ready = await call('POST', `/sessions/${SESSION}/transitions`, {
    to: 'ready',
    reason: 'rehearsed the day before',
  });
  t.equal(ready.state, 'ready');
  t.equal((await call('POST', `/sessions/${SESSION}/transitions`, { to: 'live' })).state, 'live');
  operatorToken = token;
});

let central: Page;
let dongAnh: Page;

t.test('the central point by its link, the delegate by its login and password', async (t) => {
  const token = decodeURIComponent(centralLink.split('token=')[1] ?? '');
  central = await joinPage(browser, server.url, token, { initScript: OUTAGE_SCRIPT });
  const context = await browser.newContext();
  await context.addInitScript(OUTAGE_SCRIPT);
  dongAnh = await context.newPage();
  await dongAnh.goto(`${server.url}/join`);
  await dongAnh.fill('[data-testid="signin-password"]', 'wrong-password');
  await dongAnh.fill('[data-testid="signin-login"]', delegate.login);
  await dongAnh.click('[data-testid="signin-submit"]');
  await dongAnh.waitForSelector('[data-testid="signin-error"]:not([hidden])');
  t.match(await dongAnh.textContent('[data-testid="signin-error"]'), /Sai tên đăng nhập/);
  await dongAnh.fill('[data-testid="signin-password"]', delegate.password);
  await dongAnh.click('[data-testid="signin-submit"]');
  await dongAnh.check('[data-testid="recording-consent"]', { timeout: 15_000 });
  await dongAnh.click('[data-testid="join-button"]:not([disabled])', { timeout: 15_000 });
  await waitForState(dongAnh, 'connected', 30_000);
  t.match(await dongAnh.textContent('[data-testid="session-info"]'), /khiếu nại về thu hồi đất/);
  await waitForMediaFrom(central, ['dong-anh'], 20_000);
  await waitForMediaFrom(dongAnh, ['central'], 20_000);
  t.pass('each decodes the other');
});

t.test('every point drops past the grace and comes back: the same session', async (t) => {
  await Promise.all([central, dongAnh].map((p) => setOffline(p, true)));
  // Longer than the 2 s grace: the room empties, the sitting ends.
  await new Promise((r) => setTimeout(r, 6000));
  await Promise.all([central, dongAnh].map((p) => setOffline(p, false)));
  await waitForState(central, 'connected', 30_000);
  await waitForState(dongAnh, 'connected', 30_000);
  await waitForMediaFrom(central, ['dong-anh'], 30_000);
  await waitForMediaFrom(dongAnh, ['central'], 30_000);
  t.pass('both back, decoding each other');
  await new Promise((r) => setTimeout(r, 3000));
});

t.test('the operator ends it: the pages say so; the server archives it', async (t) => {
  const ended = await apiCall(server.url, 'POST', `/sessions/${SESSION}/transitions`, {
    token: operatorToken,
    body: { to: 'ended' },
  });
  t.equal(ended.body.state, 'ended');
  for (const page of [central, dongAnh]) {
    await page.waitForSelector('[data-testid="left"][data-reason="ended"]', { timeout: 10_000 });
    t.equal(await page.isHidden('[data-testid="rejoin"]'), true, 'no rejoin to an ended session');
  }
  let state = '';
  for (let i = 0; i < 600 && state !== 'archived'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    state = (await apiCall(server.url, 'GET', `/sessions/${SESSION}`, { token: operatorToken }))
      .body.state;
  }
  t.equal(state, 'archived', 'joined, verified, archived');
});

t.test('one archive: the plan in its manifest, the drop in its timeline, verified', async (t) => {
  const archive = path.join(dataDir, 'archive', SESSION);
  const m = JSON.parse(readFileSync(path.join(archive, 'manifest.json'), 'utf8')) as Manifest;
  t.equal(m.session.plan?.title, 'Tiếp công dân: khiếu nại về thu hồi đất');
  t.same(
    m.session.plan?.points.map((p) => p.id),
    ['central', 'dong-anh'],
  );
  for (const pointId of ['central', 'dong-anh']) {
    const events = m.events.filter((e) => e.pointId === pointId);
    const lost = events.findIndex(
      (e) => e.type === 'point-left' && e.detail?.['reason'] === 'connection-lost',
    );
    t.ok(lost >= 0, `${pointId}: its drop is in the timeline`);
    t.ok(
      events.slice(lost).some((e) => e.type === 'recording-started'),
      `${pointId}: recorded again after it`,
    );
    const runs = new Set(m.files.filter((f) => f.pointId === pointId).map((f) => f.run));
    t.ok(runs.size >= 2, `${pointId}: ${runs.size} runs, one per sitting`);
  }
  const verify = await runCli(['recordings', 'verify', SESSION], cliEnv);
  t.equal(verify.code, 0, verify.stdout);
});
