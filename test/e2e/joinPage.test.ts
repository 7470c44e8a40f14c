import jwt from 'jsonwebtoken';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { joinPage, launchBrowser, waitForState } from '../helpers/browser.js';
import { TEST_SECRET, startTestServer, tokenFor } from '../helpers/session.js';

// The delegate page as a new user meets it: a link that cannot work, leaving and
// joining again, an error that stops applying, the chair's controls.
const server = await startTestServer({ DIEMCAU_RECORDER_AUTO_START: 'false' });
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGTERM');
  await server.exited;
});
const SESSION = 'trang';

async function open(token: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/join?token=${encodeURIComponent(token)}`);
  return page;
}

t.test('a link that cannot work says why before any device is asked for', async (t) => {
  const expired = jwt.sign(
    { sid: SESSION, pid: 'p', role: 'delegate', name: 'P', kind: 'delegate' },
    TEST_SECRET,
    { algorithm: 'HS256', issuer: 'diemcau', expiresIn: -60 },
  );
  const otherKey = jwt.sign(
    { sid: SESSION, pid: 'p', role: 'delegate', name: 'P', kind: 'delegate' },
    'another-servers-key-0123456789abcdefghij',
    { algorithm: 'HS256', issuer: 'diemcau', expiresIn: 600 },
  );
  for (const [token, code, words] of [
    ['garbage', 'DC_ERR_TOKEN_INVALID', /không đúng/],
    [expired, 'DC_ERR_TOKEN_EXPIRED', /hết hạn/],
    [otherKey, 'DC_ERR_TOKEN_INVALID', /không đúng/],
    ['', 'DC_ERR_TOKEN_MISSING', /không có mã mời/],
  ] as const) {
    const page = await open(token);
    const problem = page.locator('[data-testid="link-problem"]');
    await problem.waitFor({ state: 'visible', timeout: 10_000 });
    t.equal(await problem.getAttribute('data-code'), code, `${code}: coded`);
    t.match(await problem.textContent(), words, 'said in plain words');
    t.match(await problem.textContent(), /liên hệ điểm cầu trung tâm/, 'and what to do');
    t.ok(await page.locator('[data-testid="precheck"]').isHidden(), 'no device check');
    t.ok(await page.locator('[data-testid="join-button"]').isHidden(), 'no "Tham gia" to press');
    await page.context().close();
  }
});

t.test('after leaving: a clean screen, and "Tham gia lại" brings the point back', async (t) => {
  const host = await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
  const page = await joinPage(browser, server.url, tokenFor(SESSION, 'lao-cai', 'delegate'));
  await page.click('[data-testid="leave"]');
  const left = page.locator('[data-testid="left"]');
  await left.waitFor({ state: 'visible', timeout: 10_000 });
  t.match(await left.textContent(), /Bạn đã rời phiên/);
  t.ok(await page.locator('[data-testid="tiles"]').isHidden(), 'no frozen grid');
  t.ok(await page.locator('[data-testid="recording-indicator"]').isHidden());
  await page.click('[data-testid="rejoin"]');
  await page.check('[data-testid="recording-consent"]', { timeout: 15_000 });
  await page.click('[data-testid="join-button"]:not([disabled])', { timeout: 15_000 });
  await waitForState(page, 'connected', 30_000);
  await host.waitForSelector('.tile[data-point-id="lao-cai"]', { timeout: 10_000 });
  t.pass('joined again, and the others see it');
  await page.context().close();
  await host.context().close();
});

t.test('the chair: names on buttons say the action, badges the state, none hidden', async (t) => {
  const host = await joinPage(browser, server.url, tokenFor(SESSION, 'central', 'host'));
  await host.setViewportSize({ width: 1024, height: 768 });
  const delegates: Page[] = [];
  for (const id of ['ha-giang', 'cao-bang', 'son-la', 'dien-bien']) {
    delegates.push(await joinPage(browser, server.url, tokenFor(SESSION, id, 'delegate')));
  }
  const hagiang = delegates[0] as Page;
  const tile = '.tile[data-point-id="ha-giang"]';
  await host.click(`${tile} [data-testid="op-mute"]`);
  await host.waitForSelector(`${tile} .badge.muted`, { timeout: 5000 });
  const badge = host.locator(`${tile} .badge.muted`);
  const button = host.locator(`${tile} [data-testid="op-mute"]`);
  t.equal(await badge.textContent(), 'Đã tắt tiếng', 'the badge names the state');
  t.equal(await button.textContent(), 'Bật tiếng điểm cầu', 'the button the action');
  const overlaps = await host.evaluate(() => {
    const boxes = [...document.querySelectorAll('.tile')].map((tile) => ({
      badges: [...tile.querySelectorAll('.badge')].map((b) => b.getBoundingClientRect()),
      buttons: [...tile.querySelectorAll('.ops button')].map((b) => b.getBoundingClientRect()),
    }));
    const hit = (a: DOMRect, b: DOMRect): boolean =>
      a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    return boxes.flatMap((x) => x.badges.filter((a) => x.buttons.some((b) => hit(a, b)))).length;
  });
  t.equal(overlaps, 0, 'no badge under a button, at 1024×768 with five points');

  // The delegate tries its microphone: refused; the chair unmutes: the refusal is gone.
  await hagiang.click('[data-testid="toggle-mic"]');
  const error = hagiang.locator('[data-testid="error"][data-code="DC_ERR_MUTED_BY_OPERATOR"]');
  await error.waitFor({ state: 'visible', timeout: 5000 });
  await button.click();
  await hagiang.waitForSelector('[data-testid="error"]', { state: 'hidden', timeout: 5000 });
  t.pass('an error that no longer applies is taken away');

  // Removing a point asks first: "no" keeps it, "yes" removes it for good.
  const cancel = new Promise<string>((resolve) =>
    host.once('dialog', (d) => {
      resolve(d.message());
      void d.dismiss();
    }),
  );
  await host.click(`${tile} [data-testid="op-remove"]`);
  t.match(await cancel, /ha-giang.*không tham gia lại được/, 'the question names the point');
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(await hagiang.locator('[data-testid="tiles"]').isVisible(), 'still in the session');
  host.once('dialog', (d) => void d.accept());
  await host.click(`${tile} [data-testid="op-remove"]`);
  const ended = hagiang.locator('[data-testid="left"][data-reason="removed"]');
  await ended.waitFor({ state: 'visible', timeout: 10_000 });
  t.match(await ended.textContent(), /mời rời phiên/);
  t.ok(await hagiang.locator('[data-testid="rejoin"]').isHidden(), 'no way back but the chair');
});
