import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import WebSocket from 'ws';
import { launchBrowser, waitForMediaFrom, waitForState } from '../helpers/browser.js';
import { DIEMCAU_BIN, cleanEnv, runCli, tempDir } from '../helpers/cli.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';
import { apiCall } from '../helpers/api.js';
import { projectRoot } from '../../common/paths.js';

// The central point's day in real Chromium: a delegate runs the connectivity test from
// its invitation link; the operator's console (another page, signed in) shows the grade
// in the right slot with the same figures, without a reload; then the session runs with
// three points, the console's live view shows each with figures that change, and the
// console's mute and remove reach the delegate's page. Screenshots of the console's
// pages at 1366×768 go to .tap/screenshots/ for a person to look at.
const dataDir = tempDir('console');
const env = { DIEMCAU_DATA_DIR: dataDir };
const server = await startTestServer({
  ...env,
  DIEMCAU_CONNECTIVITY_SECONDS: '6',
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '4',
  DIEMCAU_RECORDER_COMPOSITE: 'false',
});
showServerWarningsOnFailure(server);
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
const shots = path.join(projectRoot, '.tap', 'screenshots');
mkdirSync(shots, { recursive: true });
const cliEnv = { ...env, DIEMCAU_AUTH_JWT_SECRET: 'test-secret-for-diemcau-tests-0123456789' };
const SESSION = 'tcd-quang-ninh';
const HOSTILE = '<img src=x onerror="window.__xss=1"><b>Khiếu nại</b>';
// An hour from now: a test now falls in the two-hours-before slot.
const start = new Date(Date.now() + 3_600_000);
let token = '';
const links: Record<string, string> = {};
const logins: Record<string, { login: string; password: string }> = {};

const call = async (method: string, route: string, body?: unknown) =>
  apiCall(server.url, method, route, { token, body });

t.before(async () => {
  const made = spawnSync(DIEMCAU_BIN, ['operator', 'add', 'clerk', '--password-stdin'], {
    input: 'a long enough password\n',
    env: { ...cleanEnv(), ...cliEnv },
    encoding: 'utf8',
  });
  if (made.status !== 0) {
    throw new Error(made.stderr);
  }
  token = (await runCli(['operator', 'token', 'clerk'], cliEnv)).stdout.trim();
  const created = await call('POST', '/sessions', {
    id: SESSION,
    title: HOSTILE,
    category: 'a',
    hostLevel: 'province',
    chair: 'Phó Chủ tịch UBND tỉnh',
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    points: [
      { id: 'central', kind: 'central', name: 'Trụ sở tiếp công dân tỉnh' },
      { id: 'ha-long', kind: 'delegate', name: 'UBND TP Hạ Long' },
      { id: 'cam-pha', kind: 'delegate', name: 'UBND TP Cẩm Phả' },
    ],
  });
  if (created.status !== 201 && created.status !== 200) {
    throw new Error(created.text);
  }
  for (const id of ['central', 'ha-long', 'cam-pha']) {
    const c = await call('POST', `/sessions/${SESSION}/points/${id}/credential`);
    links[id] = c.body.joinUrl;
    logins[id] = { login: c.body.login, password: c.body.password };
  }
});

let consolePage: Page;

async function delegatePage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  return page;
}

t.test('the console needs a sign-in; the operator signs in and sees the session', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  consolePage = await context.newPage();
  consolePage.on('pageerror', (err) => console.error(`[console error] ${err.message}`));
  consolePage.on('dialog', (d) => void d.accept());
  await consolePage.goto(`${server.url}/console`);
  await consolePage.waitForSelector('[data-testid="console-login"]:not([hidden])');
  t.equal(await consolePage.isHidden('[data-testid="sessions"]'), true, 'nothing before sign-in');
  await consolePage.fill('[data-testid="login-username"]', 'clerk');
  await consolePage.fill('[data-testid="login-password"]', 'not the password');
  await consolePage.click('[data-testid="login-submit"]');
  await consolePage.waitForSelector('[data-testid="login-error"]:not([hidden])');
  await consolePage.fill('[data-testid="login-username"]', 'clerk');
  await consolePage.fill('[data-testid="login-password"]', 'a long enough password');
  await consolePage.click('[data-testid="login-submit"]');
  const row = consolePage.locator(`[data-session-id="${SESSION}"]`);
  await row.waitFor({ timeout: 10_000 });
  t.match(await row.textContent(), /Khiếu nại/);
  await consolePage.screenshot({ path: path.join(shots, 'console-sessions.png') });
  await row.locator('a').click();
  await consolePage.waitForSelector('[data-testid="readiness-board"] [data-point-id="ha-long"]');
  t.equal(
    await consolePage.textContent('[data-testid="session-title"]'),
    HOSTILE,
    'a title with markup is shown as text',
  );
  t.equal(
    await consolePage.locator('[data-testid="session-title"] img').count(),
    0,
    'no element from it',
  );
  t.equal(
    await consolePage.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    undefined,
  );
  // The clerk corrects the chair's title in the session's form: the server has it.
  await consolePage.click('[data-testid="edit-session"] summary');
  await consolePage.fill(
    '[data-testid="edit-session-form"] input[name="chair"]',
    'Chủ tịch UBND tỉnh',
  );
  await consolePage.click('[data-testid="save-session"]');
  await consolePage.waitForFunction(() =>
    document.querySelector('#session-meta')?.textContent?.includes('Chủ tịch UBND tỉnh'),
  );
  t.equal((await call('GET', `/sessions/${SESSION}`)).body.chair, 'Chủ tịch UBND tỉnh', 'edited');
  t.equal((await call('GET', `/sessions/${SESSION}`)).body.title, HOSTILE, 'the rest as it was');
  for (const id of ['central', 'ha-long', 'cam-pha']) {
    t.equal(
      await consolePage.getAttribute(
        `[data-point-id="${id}"] [data-testid="test-grade"]`,
        'data-grade',
      ),
      '',
      `${id}: not tested yet`,
    );
  }
});

let pageFigures: Record<string, string> = {};
let grade = '';

t.test('a delegate tests its connection from its invitation link', async (t) => {
  const page = await delegatePage();
  await page.goto(links['ha-long'] as string);
  await page.click('[data-testid="connectivity-test"]', { timeout: 15_000 });
  const result = page.locator('[data-testid="connectivity-result"]');
  await page.waitForSelector('[data-testid="connectivity-result"][data-grade]:not([hidden])', {
    timeout: 60_000,
  });
  grade = (await result.getAttribute('data-grade')) ?? '';
  t.match(grade, /^(pass|warn|fail)$/, `graded ${grade}`);
  const rows = await result
    .locator('table.figures tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [
        tr.querySelector('th')?.textContent ?? '',
        tr.querySelector('td')?.textContent ?? '',
      ]),
    );
  pageFigures = Object.fromEntries(rows) as Record<string, string>;
  t.comment(
    `the page shows ${JSON.stringify(pageFigures)}; ${await result.locator('ul.findings').textContent()}`,
  );
  t.match(pageFigures['Độ trễ khứ hồi'] ?? '', /^\d+ ms$/, 'a round-trip time');
  t.match(pageFigures['Giao thức'] ?? '', /^UDP$/, 'over UDP on 127.0.0.1');
  t.match(pageFigures['Hình nhận lại'] ?? '', /^9 \/ 9$/, 'every copy of the camera came back');
  t.match(
    await result.textContent(),
    /lần kiểm tra trước 2 giờ/,
    'filed in the two-hours-before slot',
  );
  await page.screenshot({ path: path.join(shots, 'join-connectivity-result.png'), fullPage: true });

  const tests = (await call('GET', `/sessions/${SESSION}/tests`)).body['tests'] as {
    pointId: string;
    slot: string;
    grade: string;
    figures: {
      client: { rttMs: number; upKbps: number; camera: { picture: boolean } };
      findings: { code: string }[];
    };
  }[];
  t.equal(tests.length, 1, 'one test stored');
  const stored = tests[0];
  t.equal(stored?.pointId, 'ha-long');
  t.equal(stored?.slot, 'two-hours-before');
  t.equal(stored?.grade, grade);
  t.equal(stored?.figures.client.camera.picture, true, 'the fake camera gives a picture');
  t.ok(
    (stored?.figures.client.upKbps ?? 0) > 100,
    `upstream ${stored?.figures.client.upKbps} kbit/s`,
  );
  await page.context().close();
});

t.test(
  'the console shows it in the right slot with the same figures, without a reload',
  async (t) => {
    const row = `[data-point-id="ha-long"]`;
    await consolePage.waitForSelector(`${row} [data-testid="test-grade"][data-grade="${grade}"]`, {
      timeout: 10_000,
    });
    t.equal(
      await consolePage.getAttribute(`${row} [data-testid="slot-two-hours-before"]`, 'data-grade'),
      grade,
    );
    t.equal(
      await consolePage.getAttribute(`${row} [data-testid="slot-day-before"]`, 'data-grade'),
      '',
    );
    await consolePage.click(`${row} [data-testid="test-details"]`);
    const detail = await consolePage.textContent(
      '[data-detail-of="ha-long"] [data-testid="test-figures"]',
    );
    t.match(
      detail,
      new RegExp(`RTT ${(pageFigures['Độ trễ khứ hồi'] ?? '').replace(' ms', '')} ms`),
      'the same RTT',
    );
    t.match(detail, /UDP/);
    await consolePage.screenshot({
      path: path.join(shots, 'console-readiness.png'),
      fullPage: true,
    });
  },
);

t.test(
  'a test is refused without a credential, with a revoked one, or for another session',
  async (t) => {
    const auth = (data: Record<string, unknown>) =>
      new Promise<{ code?: string }>((resolve, reject) => {
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
        ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'auth', data })));
        ws.on('message', (m: Buffer) => {
          const msg = JSON.parse(m.toString('utf8')) as {
            id?: number;
            ok?: boolean;
            error?: { code: string };
          };
          if (msg.id === 1) {
            resolve({ code: msg.ok ? 'OK' : msg.error?.code });
            ws.close();
          }
        });
        ws.on('error', reject);
      });
    const purpose = 'connectivity-test';
    t.equal((await auth({ token: '', purpose })).code, 'DC_ERR_TOKEN_MISSING');
    const camPha = decodeURIComponent(links['cam-pha']?.split('token=')[1] ?? '');
    t.equal(
      (await auth({ token: camPha, purpose, sessionId: 'another-session' })).code,
      'DC_ERR_TOKEN_WRONG_SESSION',
    );
    const adHoc = tokenFor('another-session', 'cam-pha', 'delegate');
    t.equal(
      (await auth({ token: adHoc, purpose, sessionId: SESSION })).code,
      'DC_ERR_TOKEN_WRONG_SESSION',
    );
    await call('DELETE', `/sessions/${SESSION}/points/cam-pha/credential`);
    t.equal((await auth({ token: camPha, purpose })).code, 'DC_ERR_CREDENTIAL_REVOKED');
    const fresh = await call('POST', `/sessions/${SESSION}/points/cam-pha/credential`);
    links['cam-pha'] = fresh.body.joinUrl;
    // The test that ran left nothing in the session: no sitting, no media, no joins.
    const session = await call('GET', `/sessions/${SESSION}`);
    t.equal(session.body.live, null, 'the session was never opened by the test');
    const archive = path.join(dataDir, 'archive', SESSION);
    t.equal(existsSync(path.join(archive, 'media')), false, 'nothing recorded');
    const audit = readFileSync(path.join(archive, 'audit.jsonl'), 'utf8');
    t.notMatch(audit, /point-joined/, 'no join in the audit log');
  },
);

t.test('the console: every API call needs the sign-in, changes need its CSRF token', async (t) => {
  const cookies = await consolePage.context().cookies();
  const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const anonymous = await apiCall(server.url, 'GET', '/sessions');
  t.equal(anonymous.status, 401);
  const signedIn = await apiCall(server.url, 'GET', '/sessions', { headers: { cookie } });
  t.equal(signedIn.status, 200);
  const noCsrf = await apiCall(server.url, 'POST', `/sessions/${SESSION}/controls`, {
    headers: { cookie },
    body: { action: 'lock' },
  });
  t.equal(noCsrf.status, 403);
  t.equal(noCsrf.body.error.code, 'DC_ERR_CSRF');
  const delegateToken = decodeURIComponent(links['cam-pha']?.split('token=')[1] ?? '');
  const asDelegate = await apiCall(server.url, 'GET', `/sessions/${SESSION}/live`, {
    token: delegateToken,
  });
  t.equal(asDelegate.status, 403, "a delegate's token does not open the console's API");
});

t.test('live: three points, figures that change, mute and remove reach the page', async (t) => {
  // Not every point passed its test: ready by hand, with the reason, as the clerk would.
  const ready = await call('POST', `/sessions/${SESSION}/transitions`, {
    to: 'ready',
    reason: 'tested by telephone with Cẩm Phả',
  });
  t.equal(ready.body.state, 'ready', 'ready by hand');
  await consolePage.waitForSelector('[data-testid="open-session"]', { timeout: 10_000 });
  await consolePage.click('[data-testid="open-session"]');
  await consolePage.waitForSelector('[data-testid="session-state"][data-state="live"]', {
    timeout: 10_000,
  });
  const pages: Record<string, Page> = {};
  for (const id of ['central', 'ha-long', 'cam-pha']) {
    const page = await delegatePage();
    await page.goto(links[id] as string);
    await page.check('[data-testid="recording-consent"]', { timeout: 15_000 });
    await page.click('[data-testid="join-button"]:not([disabled])', { timeout: 15_000 });
    await waitForState(page, 'connected', 30_000);
    pages[id] = page;
  }
  await waitForMediaFrom(pages['central'] as Page, ['ha-long', 'cam-pha'], 30_000);
  const rows = consolePage.locator('[data-testid="live-board"] [data-live-point-id]');
  await consolePage.waitForFunction(
    () => document.querySelectorAll('[data-testid="live-board"] [data-live-point-id]').length === 3,
    undefined,
    { timeout: 15_000 },
  );
  t.equal(await rows.count(), 3, 'three points in the live view');
  const inOf = () =>
    consolePage.$$eval('[data-live-point-id] [data-testid="live-in"]', (tds) =>
      tds.map((td) => Number(td.textContent)),
    );
  const first = await inOf();
  let later = first;
  for (let i = 0; i < 20 && later.join() === first.join(); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    later = await inOf();
  }
  t.not(later.join(), first.join(), `figures change: ${first.join()} then ${later.join()}`);
  await consolePage.waitForFunction(
    () =>
      [...document.querySelectorAll('[data-live-point-id] [data-testid="live-in"]')].every(
        (td) => Number(td.textContent) > 0,
      ),
    undefined,
    { timeout: 15_000 },
  );
  t.pass('every point sends media the server measures');
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.match(metrics, `diemcau_points_connected{session="${SESSION}"} 3`, '/metrics: three points');
  t.match(metrics, /diemcau_point_rtt_ms\{session="tcd-quang-ninh",point="ha-long"\} \d+/);
  t.match(
    metrics,
    new RegExp(`diemcau_connectivity_tests\\{grade="${grade}"\\} 1`),
    '/metrics: the test',
  );
  t.match(metrics, /diemcau_worker_cpu_pct\{pid="\d+"\} [\d.]+/, '/metrics: worker CPU');
  await consolePage.screenshot({ path: path.join(shots, 'console-live.png'), fullPage: true });

  await consolePage.click('[data-live-point-id="ha-long"] [data-testid="control-mute"]');
  const haLong = pages['ha-long'] as Page;
  await haLong.waitForSelector('[data-testid="banner"]:not([hidden])', { timeout: 10_000 });
  t.match(await haLong.textContent('[data-testid="banner"]'), /tắt micro/i, 'the delegate is told');
  await consolePage.waitForSelector('[data-live-point-id="ha-long"][data-muted="true"]', {
    timeout: 10_000,
  });
  await consolePage.click('[data-live-point-id="cam-pha"] [data-testid="control-remove"]');
  const camPha = pages['cam-pha'] as Page;
  await camPha.waitForSelector('[data-testid="left"][data-reason="removed"]', { timeout: 10_000 });
  t.pass('the removed delegate sees it');
  await consolePage.waitForFunction(
    () => !document.querySelector('[data-live-point-id="cam-pha"]'),
    undefined,
    { timeout: 10_000 },
  );
  for (const page of Object.values(pages)) {
    await page.context().close();
  }
});

t.test('after the session: the archive, verified from the console', async (t) => {
  await consolePage.click('[data-testid="end-session"]');
  await consolePage.waitForSelector(
    '[data-testid="session-state"][data-state="ended"], [data-testid="session-state"][data-state="archived"]',
    {
      timeout: 15_000,
    },
  );
  await consolePage.screenshot({ path: path.join(shots, 'console-ended.png'), fullPage: true });
  // The server joins the runs and verifies them, then files the session as archived.
  await consolePage.waitForSelector('[data-testid="session-state"][data-state="archived"]', {
    timeout: 120_000,
  });
  await consolePage.waitForFunction(
    () => document.querySelectorAll('[data-testid="archive-files"] [data-file]').length >= 3,
    undefined,
    { timeout: 60_000 },
  );
  await consolePage.click('[data-testid="verify"]');
  await consolePage.waitForSelector('[data-testid="verify-result"][data-status]', {
    timeout: 60_000,
  });
  t.equal(
    await consolePage.getAttribute('[data-testid="verify-result"]', 'data-status'),
    'complete',
    (await consolePage.textContent('[data-testid="verify-result"]')) ?? '',
  );
  const backup = tempDir('console-backup');
  await consolePage.fill('[data-testid="export-form"] input[name="to"]', backup);
  await consolePage.click('[data-testid="export-form"] button[type="submit"]');
  await consolePage.waitForSelector('[data-testid="export-status"][data-status]', {
    timeout: 60_000,
  });
  t.equal(
    await consolePage.getAttribute('[data-testid="export-status"]', 'data-status'),
    'exported',
    (await consolePage.textContent('[data-testid="export-status"]')) ?? '',
  );
  await consolePage.screenshot({ path: path.join(shots, 'console-archive.png'), fullPage: true });
  t.ok(existsSync(path.join(backup, SESSION, 'manifest.json')), 'the backup holds the manifest');
});
