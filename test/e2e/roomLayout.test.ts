import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';
import { tempDir } from '../helpers/cli.js';
import { projectRoot } from '../../common/paths.js';

// The room page as a reception room, in Chromium with 1 central point and 4 delegates:
// the stage and grid layouts fill the screen at 1366×768 and 1024×768 (screenshots in
// .tap/screenshots/), the speaker takes the stage, the chair's spotlight overrides it on
// every page, each tile shows its point's link grade, and neither language shows a word
// of the other.
const server = await startTestServer({
  DIEMCAU_DATA_DIR: tempDir('room-layout'),
  DIEMCAU_RECORDER_COMPOSITE: 'false',
  // Not what is tested here, and five recordings would starve this 2-core machine.
  DIEMCAU_RECORDER_AUTO_START: 'false',
});
showServerWarningsOnFailure(server);
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});
const shots = path.join(projectRoot, '.tap', 'screenshots');
mkdirSync(shots, { recursive: true });
const SESSION = 'layout';
const POINTS = ['central', 'ha-noi', 'hue', 'da-nang', 'ca-mau'];
const pages = new Map<string, Page>();

t.before(async () => {
  for (const id of POINTS) {
    const page = await joinPage(
      browser,
      server.url,
      tokenFor(SESSION, id, id === 'central' ? 'host' : 'delegate'),
    );
    pages.set(id, page);
  }
  for (const page of pages.values()) {
    await page.waitForFunction(
      (n) => document.querySelectorAll('.tile[data-point-id]').length === n,
      POINTS.length,
      { timeout: 20_000 },
    );
  }
});

const page = (id: string): Page => pages.get(id) as Page;

interface Box {
  id: string;
  stage: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
}

async function boxes(p: Page): Promise<Box[]> {
  return p.$$eval('.tiles > .tile', (tiles) =>
    tiles.map((el) => {
      const r = el.getBoundingClientRect();
      const d = (el as HTMLElement).dataset;
      return {
        id: d['pointId'] ?? d['screenOf'] ?? '?',
        stage: d['stage'] === 'true',
        x: r.x,
        y: r.y,
        w: r.width,
        h: r.height,
      };
    }),
  );
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
}

async function checkLayout(
  t: Test,
  p: Page,
  size: { width: number; height: number },
  layout: 'stage' | 'grid',
): Promise<void> {
  await p.setViewportSize(size);
  const current = await p.getAttribute('[data-testid="tiles"]', 'data-layout');
  if (current !== layout) {
    await p.click('[data-testid="layout-toggle"]');
  }
  await p.waitForSelector(`[data-testid="tiles"][data-layout="${layout}"]`);
  await new Promise((r) => setTimeout(r, 500));
  const name = `room-${layout}-${size.width}x${size.height}`;
  await p.screenshot({ path: path.join(shots, `${name}.png`) });
  const all = await boxes(p);
  t.equal(all.length, POINTS.length, `${name}: a tile per point`);
  for (const b of all) {
    t.ok(
      b.w > 80 &&
        b.h > 45 &&
        b.x >= 0 &&
        b.y >= 0 &&
        b.x + b.w <= size.width + 1 &&
        b.y + b.h <= size.height + 1,
      `${name}: ${b.id} visible (${Math.round(b.w)}×${Math.round(b.h)} at ${Math.round(b.x)},${Math.round(b.y)})`,
    );
  }
  const pairs = all.flatMap((a, i) =>
    all
      .slice(i + 1)
      .filter((b) => overlaps(a, b))
      .map((b) => `${a.id}/${b.id}`),
  );
  t.same(pairs, [], `${name}: no two tiles overlap`);
  const area = size.width * size.height;
  if (layout === 'stage') {
    const stage = all.filter((b) => b.stage);
    t.equal(stage.length, 1, `${name}: one tile on the stage`);
    const share = ((stage[0]?.w ?? 0) * (stage[0]?.h ?? 0)) / area;
    t.ok(share > 0.45, `${name}: the stage covers ${(share * 100).toFixed(0)} % of the window`);
  } else {
    const covered = all.reduce((sum, b) => sum + b.w * b.h, 0) / area;
    const sizes = new Set(all.map((b) => Math.round(b.w)));
    t.equal(sizes.size, 1, `${name}: every tile the same size`);
    t.ok(covered > 0.5, `${name}: the tiles cover ${(covered * 100).toFixed(0)} % of the window`);
  }
}

t.test('stage and grid fill the window at 1366×768 and 1024×768', async (t) => {
  const host = page('central');
  await host.screenshot({ path: path.join(shots, 'room-joined-default.png') });
  for (const size of [
    { width: 1366, height: 768 },
    { width: 1024, height: 768 },
  ]) {
    await checkLayout(t, host, size, 'stage');
    await checkLayout(t, host, size, 'grid');
  }
  await checkLayout(t, host, { width: 1366, height: 768 }, 'stage');
});

async function stageOf(p: Page): Promise<string | null> {
  return p.evaluate(
    () =>
      document.querySelector<HTMLElement>('.tiles[data-layout="stage"] > .tile[data-stage="true"]')
        ?.dataset['pointId'] ?? null,
  );
}

async function waitForStage(p: Page, id: string, timeout: number): Promise<number> {
  const started = Date.now();
  await p.waitForFunction(
    (want) =>
      document.querySelector<HTMLElement>('.tiles > .tile[data-stage="true"]')?.dataset[
        'pointId'
      ] === want,
    id,
    { timeout, polling: 50 },
  );
  return Date.now() - started;
}

t.test('the speaker takes the stage; the chair’s spotlight overrides it everywhere', async (t) => {
  // Only Đà Nẵng keeps its microphone open.
  for (const id of POINTS.filter((p) => p !== 'da-nang')) {
    await page(id).click('[data-testid="toggle-mic"]');
  }
  const viewer = page('hue');
  const took = await waitForStage(viewer, 'da-nang', 15_000);
  t.pass(`Đà Nẵng on Huế's stage after ${took} ms`);
  // Now only Hà Nội: timed from its microphone opening.
  await page('da-nang').click('[data-testid="toggle-mic"]');
  await new Promise((r) => setTimeout(r, 1500));
  await page('ha-noi').click('[data-testid="toggle-mic"]');
  const moved = await waitForStage(viewer, 'ha-noi', 10_000);
  t.ok(moved <= 2500, `the stage follows the new speaker in ${moved} ms (target ~1 s)`);
  await page('central').click('.tile[data-point-id="ca-mau"] [data-testid="op-spotlight"]');
  for (const id of POINTS.filter((p) => p !== 'ca-mau')) {
    await waitForStage(page(id), 'ca-mau', 10_000);
  }
  t.pass('Cà Mau on every other page’s stage');
  t.equal(await stageOf(page('hue')), 'ca-mau', 'held there while Hà Nội speaks');
  await page('central').click('.tile[data-point-id="ca-mau"] [data-testid="op-spotlight"]');
});

t.test('every tile shows its point’s link grade, with the figures on hover', async (t) => {
  const viewer = page('central');
  await viewer.waitForFunction(
    (n) =>
      [
        ...document.querySelectorAll<HTMLElement>('.tile[data-point-id] [data-testid="quality"]'),
      ].filter((el) => /^(excellent|good|poor|lost)$/.test(el.dataset['quality'] ?? '')).length ===
      n,
    POINTS.length,
    { timeout: 15_000 },
  );
  const titles = await viewer.$$eval('.tile[data-point-id] [data-testid="quality"]', (els) =>
    els.map((el) => el.getAttribute('title') ?? ''),
  );
  t.comment(titles.join(' | '));
  for (const title of titles) {
    t.match(title, /^Đường truyền (tốt|khá|kém)|^Mất kết nối/, 'graded in words');
    t.match(title, /mất gói [\d.—]+ %, độ trễ [\d—]+ ms, gửi \d+ kbit\/s$/, 'with its figures');
  }
  await viewer.screenshot({ path: path.join(shots, 'room-quality.png') });
});

/** The page dictionary's values, per language, from its source (client-sdk/pages/i18n.ts). */
function dictionaries(): Record<'vi' | 'en', string[]> {
  const source = readFileSync(path.join(projectRoot, 'client-sdk', 'pages', 'i18n.ts'), 'utf8');
  const block = (start: string): string => {
    const from = source.indexOf(start);
    return source.slice(from, source.indexOf('\n};', from));
  };
  const values = (text: string): string[] =>
    [
      ...text.matchAll(
        /(?:'[\w.-]+'|[A-Za-z_]\w*):\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g,
      ),
    ].map((m) => m[1] ?? m[2] ?? '');
  return { vi: values(block('const vi = {')), en: values(block('const en: typeof vi = {')) };
}

/** Every visible piece of text of the page's own (point names and the like left out). */
async function visibleTexts(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const skip =
      '.lang, .machine-text, .tile .label, #session-info, #invited-as, #me, script, style';
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      const el = n.parentElement;
      if (!text || !el || el.closest(skip) || !el.checkVisibility()) {
        continue;
      }
      out.push(text);
    }
    for (const el of document.querySelectorAll<HTMLElement>('[title], [aria-label]')) {
      if (el.checkVisibility() && !el.closest(skip)) {
        out.push(...[el.title, el.getAttribute('aria-label') ?? ''].filter(Boolean));
      }
    }
    return out;
  });
}

t.test('every word is in the table, in the page’s language only', async (t) => {
  const dict = dictionaries();
  t.ok(dict.vi.length > 100 && dict.en.length === dict.vi.length, 'both tables read');
  const matches = (text: string, table: string[]): boolean =>
    table.some((value) => {
      const pattern = value
        .split(/\{\w+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return new RegExp(`^${pattern}$`).test(text) || text === value;
    });
  const english = await joinPage(browser, server.url, tokenFor(SESSION, 'quang-tri', 'delegate'), {
    initScript: "localStorage.setItem('diemcau-lang', 'en');",
  });
  await english.waitForFunction(() => document.documentElement.lang === 'en');
  for (const [lang, p] of [
    ['vi', page('central')],
    ['en', english],
  ] as const) {
    const other = lang === 'vi' ? dict.en : dict.vi;
    const own = dict[lang];
    const texts = await visibleTexts(p);
    // What the page shows is its table's words (with figures and names in their slots).
    const strays = texts.filter(
      (text) => !matches(text, own) && !/^[\d\s.,:%/—–●-]+$/.test(text) && !/^\d/.test(text),
    );
    t.same(strays, [], `${lang}: every visible string is in the ${lang} table`);
    const foreign = texts.filter((text) =>
      other.some(
        (v) =>
          v.length >= 4 &&
          !own.includes(v) &&
          text.includes(v.split(/\{\w+\}/)[0] ?? v) &&
          (v.split(/\{\w+\}/)[0] ?? '').length >= 4,
      ),
    );
    t.same(foreign, [], `${lang}: nothing from the other language`);
    t.comment(`${lang}: ${texts.length} strings checked`);
  }
  await english.screenshot({ path: path.join(shots, 'room-english.png') });
  await english.context().close();
});

t.test('the device check: the recording notice, and nothing of the room yet', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const p = await context.newPage();
  await p.goto(
    `${server.url}/join?token=${encodeURIComponent(tokenFor(SESSION, 'kon-tum', 'delegate'))}`,
  );
  await p.waitForSelector('[data-testid="recording-notice"]');
  t.match(
    await p.textContent('[data-testid="recording-notice"]'),
    /ghi âm, ghi hình tại điểm cầu trung tâm/,
  );
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(
    await p.isDisabled('[data-testid="join-button"]'),
    true,
    'no joining before it is acknowledged',
  );
  t.equal(
    await p.isHidden('[data-testid="toggle-mic"]'),
    true,
    'no room controls on the device check',
  );
  t.equal(await p.isHidden('#state-wrap'), true, 'no empty "Kết nối:"');
  await p.screenshot({ path: path.join(shots, 'room-device-check.png') });
  await p.check('[data-testid="recording-consent"]');
  await p.click('[data-testid="join-button"]:not([disabled])');
  await p.waitForFunction(
    () => document.querySelector('[data-testid="connection-state"]')?.textContent === 'connected',
  );
  t.equal(
    await p.textContent('[data-testid="connection-label"]'),
    'đã kết nối',
    'the state in Vietnamese',
  );
  await context.close();
});
