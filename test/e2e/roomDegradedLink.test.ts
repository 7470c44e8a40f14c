import { execFileSync, spawnSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { inOwnNetworkNamespace, narrowPorts } from '../helpers/netns.js';

// A point whose link degrades shows a worse grade on everyone else's tiles than the
// healthy points do. Four points in Chromium; Huế's two peer connections (its send and
// its receive transport) share a 150 kbit/s line with a short queue (htb)
// on the loopback of a network namespace of the test's own, filtered to Huế's UDP ports:
// the other points' traffic on the same loopback is untouched.
await inOwnNetworkNamespace(import.meta.url, degradedRun);

const RANK = { lost: 0, poor: 1, good: 2, excellent: 3 } as const;

async function degradedRun(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const { default: t } = await import('tap');
  const {
    OUTAGE_SCRIPT,
    TRACK_PEER_CONNECTIONS_SCRIPT,
    joinPoints,
    launchBrowser,
    peerConnectionPorts,
    setOffline,
    waitForState,
  } = await import('../helpers/browser.js');
  const { showServerWarningsOnFailure } = await import('../helpers/serverLogs.js');
  const { startTestServer } = await import('../helpers/session.js');
  const { tempDir } = await import('../helpers/cli.js');

  const server = await startTestServer({
    DIEMCAU_DATA_DIR: tempDir('room-degraded'),
    // The grades, not the recordings, are tested here; four of them would load the machine.
    DIEMCAU_RECORDER_AUTO_START: 'false',
  });
  showServerWarningsOnFailure(server);
  // Alone in the namespace, loopback is the PC's only interface.
  const browser = await launchBrowser(['--allow-loopback-in-peer-connection']);
  t.teardown(async () => {
    // Gone with the namespace anyway; deleted first so the browser's goodbyes get through.
    spawnSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
    await browser.close();
    server.child.kill('SIGKILL');
  });

  const SESSION = 'degraded';
  const HEALTHY = ['central', 'ha-noi', 'ca-mau'];
  const DEGRADED = 'hue';
  // Huế's page keeps its peer connections where the test can ask them their ports, and
  // its signaling link can be dropped.
  const pages = await joinPoints(browser, server.url, SESSION, [...HEALTHY, DEGRADED], (id) =>
    id === DEGRADED ? OUTAGE_SCRIPT + TRACK_PEER_CONNECTIONS_SCRIPT : undefined,
  );
  const degraded = pages.get(DEGRADED) as Page;

  t.test('Huế’s link, lossy: Huế graded worse than every healthy point', async (t) => {
    // Its local UDP port on each connection's selected candidate pair.
    const huePorts = await peerConnectionPorts(degraded);
    t.comment(`Huế's ports: ${huePorts.join(', ')}`);
    // netem is not in every kernel (not in this machine's): a link too narrow for what
    // is sent over it, with a short queue, loses and delays packets as a congested
    // province's line does.
    narrowPorts(huePorts, 150, ['sport', 'dport']);

    for (const viewer of HEALTHY) {
      const page = pages.get(viewer) as Page;
      // The sampler ticks every 3 s and a receiver reports every second or so.
      const seen = await page
        .waitForFunction(
          ({ degradedId, rank }) => {
            const grades = new Map(
              [...document.querySelectorAll<HTMLElement>('.tile[data-point-id]')].map((tile) => [
                tile.dataset['pointId'],
                tile.querySelector<HTMLElement>('[data-testid="quality"]')?.dataset['quality'],
              ]),
            );
            const of = (id: string | undefined) =>
              rank[(grades.get(id) ?? '') as keyof typeof rank] as number | undefined;
            const bad = of(degradedId);
            const healthy = [...grades.keys()].filter((id) => id !== degradedId).map(of);
            return bad !== undefined &&
              healthy.length === 3 &&
              healthy.every((g) => g !== undefined && g > bad)
              ? (Object.fromEntries(grades) as Record<string, string>)
              : null;
          },
          { degradedId: DEGRADED, rank: RANK },
          { timeout: 30_000, polling: 500 },
        )
        .catch(async (err: Error) => {
          // Say what the page shows, so a failure can be read from the CI log.
          const shown = await page.$$eval('.tile[data-point-id]', (tiles) =>
            tiles.map((tile) => {
              const q = tile.querySelector<HTMLElement>('[data-testid="quality"]');
              return `${(tile as HTMLElement).dataset['pointId']}: ${q?.dataset['quality']} (${q?.title})`;
            }),
          );
          throw new Error(`${err.message}; ${viewer}'s page shows ${shown.join(' | ')}`, {
            cause: err,
          });
        });
      const grades = (await seen.jsonValue()) as Record<string, string>;
      t.comment(`${viewer} sees ${JSON.stringify(grades)}`);
      t.ok(
        HEALTHY.every(
          (id) =>
            RANK[grades[id] as keyof typeof RANK] > RANK[grades[DEGRADED] as keyof typeof RANK],
        ),
        `on ${viewer}’s page Huế (${grades[DEGRADED]}) is below every healthy point`,
      );
      const title = await page.getAttribute(
        `.tile[data-point-id="${DEGRADED}"] [data-testid="quality"]`,
        'title',
      );
      const figures = /mất gói ([\d.—]+) %, độ trễ ([\d—]+) ms/.exec(title ?? '');
      t.ok(figures, `its figures on hover: ${title}`);
      const [loss, rtt] = [Number(figures?.[1]), Number(figures?.[2])];
      t.ok(loss > 2 || rtt > 300, `and they say why (loss ${loss} %, round trip ${rtt} ms)`);
    }
  });

  t.test('Huế drops: its tile says it is reconnecting, then it is back', async (t) => {
    const viewers = HEALTHY.map((id) => pages.get(id) as Page);
    await setOffline(degraded, true);
    for (const [i, page] of viewers.entries()) {
      await page.waitForSelector(`.tile[data-point-id="${DEGRADED}"] .badge.reconnecting:visible`, {
        timeout: 10_000,
      });
      t.equal(
        await page.textContent(`.tile[data-point-id="${DEGRADED}"] .badge.reconnecting`),
        'Đang kết nối lại',
        `${HEALTHY[i]}: Huế’s tile says so, in Vietnamese`,
      );
      await page.waitForSelector(
        `.tile[data-point-id="${DEGRADED}"] [data-testid="quality"][data-quality="lost"]`,
        { timeout: 10_000 },
      );
      t.pass(`${HEALTHY[i]}: its grade reads lost`);
    }
    await setOffline(degraded, false);
    await waitForState(degraded, 'connected', 30_000);
    for (const [i, page] of viewers.entries()) {
      await page.waitForSelector(`.tile[data-point-id="${DEGRADED}"] .badge.reconnecting`, {
        state: 'detached',
        timeout: 15_000,
      });
      t.pass(`${HEALTHY[i]}: back, the notice gone`);
    }
  });
}
