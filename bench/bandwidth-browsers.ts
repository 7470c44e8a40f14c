/**
 * The bandwidth governor side by side with no governor, in one run: the same session of
 * real Chromium points (BENCH_BROWSERS, default 5: the central point and four
 * delegates, every one across the link), the speaker changing every 10 s (every other
 * microphone muted), on a central link of BENCH_LINK_MBPS (default 2) and delegate
 * downlinks of BENCH_DOWNLINK_MBPS (default 1), BENCH_SECONDS (default 40) each.
 *
 * Measured by the server in this process, in 1 s windows: its egress to the points
 * (every receiving transport's bytes sent), each delegate's share, audio consumers
 * paused, layer changes per video consumer, and how long the new speaker's picture
 * takes to reach, for every receiver, the layer it holds on the stage.
 *
 * Smaller than the issue's 11 points with synthetic simulcast publishers (not written
 * yet): what this machine's two cores carry in real browsers. Last line: JSON.
 */
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Browser, Page } from 'playwright-core';
import type { Room } from '../src/sfu/Room.js';
import type { Server } from '../src/Server.js';
import { tempDir } from '../test/helpers/cli.js';
import { joinPage, launchBrowser } from '../test/helpers/browser.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { tokens } from '../test/helpers/session.js';
import { LinkMeter } from './LinkMeter.js';
import { round } from './procStats.js';

const BROWSERS = Number(process.env['BENCH_BROWSERS'] ?? 5);
const LINK_MBPS = Number(process.env['BENCH_LINK_MBPS'] ?? 2);
const DOWNLINK_MBPS = Number(process.env['BENCH_DOWNLINK_MBPS'] ?? 1);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 40);
const TURN_MS = 10_000;
const SESSION = 'bench-bandwidth';

interface Figures {
  egressWithinBudgetPct: number;
  egressP50Kbps: number;
  egressMaxKbps: number;
  delegatesWithinDownlinkPct: number;
  /** null when a turn never reached it (then see the two counts). */
  speakerTopLayerP90Ms: number | null;
  speakerTurns: number;
  speakerTurnsReached: number;
  audioPausedCount: number;
  layerChangesPerConsumerMinute: number;
}

const browser = await launchBrowser();
try {
  console.log(
    `${BROWSERS} Chromium points, link ${LINK_MBPS} Mbit/s, delegates ${DOWNLINK_MBPS} Mbit/s, ${SECONDS} s each way`,
  );
  const governed = await phase(browser, true);
  console.log(`with the governor: ${JSON.stringify(governed)}`);
  const baseline = await phase(browser, false);
  console.log(`without:           ${JSON.stringify(baseline)}`);
  console.log(
    JSON.stringify({
      bench: 'bandwidth-browsers',
      points: BROWSERS,
      linkMbps: LINK_MBPS,
      delegateDownlinkMbps: DOWNLINK_MBPS,
      seconds: SECONDS,
      ...governed,
      // Ratios from the same run travel better between noisy machines.
      egressP50VsBaseline: round(governed.egressP50Kbps / baseline.egressP50Kbps, 2),
      baseline,
    }),
  );
} finally {
  await browser.close();
}

async function phase(browser: Browser, governor: boolean): Promise<Figures> {
  const dir = tempDir('bench-bw');
  const server: Server = await startInProcessServer(path.join(dir, 'data'), {
    env: {
      DIEMCAU_RECORDER_AUTO_START: 'false',
      DIEMCAU_BANDWIDTH_ENABLED: String(governor),
      DIEMCAU_BANDWIDTH_LINK_MBPS: String(LINK_MBPS),
      DIEMCAU_BANDWIDTH_DELEGATE_DOWNLINK_MBPS: String(DOWNLINK_MBPS),
      DIEMCAU_BANDWIDTH_CENTRAL_ON_LAN: 'false',
    },
  });
  const pages: Page[] = [];
  try {
    const ids = Array.from({ length: BROWSERS }, (_, i) => (i === 0 ? 'central' : `d${i}`));
    for (const [i, id] of ids.entries()) {
      const token = tokens.issue(
        {
          sessionId: SESSION,
          pointId: id,
          role: i === 0 ? 'host' : 'delegate',
          pointName: id,
          pointKind: i === 0 ? 'central' : 'delegate',
        },
        3600,
      );
      pages.push(await joinPage(browser, server.url, token));
    }
    const room: Room = (await server.sessions.open(SESSION)).room;
    await new Promise((r) => setTimeout(r, 5000));

    const changes = new Map<string, number>();
    const watched = new WeakSet<types.Consumer>();
    const videoConsumers = (): { consumer: types.Consumer; receiver: string }[] =>
      [...room.peers.values()].flatMap((p) =>
        [...p.consumers.values()]
          .filter((c) => c.kind === 'video' && !c.closed)
          .map((consumer) => ({ consumer, receiver: p.pointId })),
      );

    const windows: number[] = [];
    let delegateWindows = 0;
    let delegateWithin = 0;
    let audioPaused = 0;
    const speakerDelays: number[] = [];
    const meter = new LinkMeter();
    let turn = -1;
    let turnStarted = 0;
    let reached: number | null = null;
    const started = Date.now();
    let lastWindow = started;

    while (Date.now() - started < SECONDS * 1000) {
      const now = Date.now();
      const t = Math.floor((now - started) / TURN_MS);
      if (t !== turn) {
        // A new speaker: every other microphone muted.
        if (turn >= 0 && reached === null) {
          speakerDelays.push(Infinity);
        }
        turn = t;
        turnStarted = now;
        reached = null;
        const speaker = t % pages.length;
        await Promise.all(
          pages.map((p, i) =>
            p.evaluate(
              (muted) =>
                (
                  globalThis as unknown as {
                    diemcauSession: { setMicMuted(m: boolean): Promise<void> };
                  }
                ).diemcauSession.setMicMuted(muted),
              i !== speaker,
            ),
          ),
        );
      }
      for (const { consumer } of videoConsumers()) {
        if (!watched.has(consumer)) {
          watched.add(consumer);
          consumer.on('layerschange', () =>
            changes.set(consumer.id, (changes.get(consumer.id) ?? 0) + 1),
          );
        }
      }
      // The speaker's picture at its stage layer for everyone: the highest layer its
      // consumers reach in this turn, reached by all of them.
      if (reached === null && now - turnStarted > 300) {
        const speakerId = ids[turn % pages.length];
        const of = videoConsumers().filter(
          (c) => (c.consumer.appData as { pointId?: string }).pointId === speakerId,
        );
        const layers = of.map((c) => c.consumer.currentLayers?.spatialLayer ?? -1);
        const top = Math.max(...of.map((c) => c.consumer.preferredLayers?.spatialLayer ?? 0));
        if (of.length > 0 && layers.every((l) => l >= top) && top >= 1) {
          reached = now - turnStarted;
          speakerDelays.push(reached);
        }
      }
      if (now - lastWindow >= 1000) {
        lastWindow = now;
        const link = await meter.window(room);
        let total = 0;
        for (const peer of room.peers.values()) {
          const peerSent = link.sentKbps.get(peer.pointId) ?? 0;
          total += peerSent;
          if (peer.pointId !== 'central') {
            delegateWindows++;
            if (peerSent <= DOWNLINK_MBPS * 1000) {
              delegateWithin++;
            }
          }
          for (const c of peer.consumers.values()) {
            if (c.kind === 'audio' && c.paused) {
              audioPaused++;
            }
          }
        }
        windows.push(total);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (reached === null) {
      speakerDelays.push(Infinity);
    }
    const measured = windows.slice(1);
    const sorted = [...measured].sort((a, b) => a - b);
    const delays = [...speakerDelays].sort((a, b) => a - b);
    const p90 = delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.9) - 1)];
    const consumers = Math.max(1, changes.size);
    const minutes = SECONDS / 60;
    return {
      egressWithinBudgetPct: round(
        (measured.filter((k) => k <= LINK_MBPS * 1000).length / Math.max(1, measured.length)) * 100,
      ),
      egressP50Kbps: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
      egressMaxKbps: round(sorted[sorted.length - 1] ?? 0),
      delegatesWithinDownlinkPct: round((delegateWithin / Math.max(1, delegateWindows)) * 100),
      speakerTopLayerP90Ms: p90 === undefined || !Number.isFinite(p90) ? null : round(p90),
      speakerTurns: speakerDelays.length,
      speakerTurnsReached: speakerDelays.filter((d) => Number.isFinite(d)).length,
      audioPausedCount: audioPaused,
      layerChangesPerConsumerMinute: round(
        [...changes.values()].reduce((a, b) => a + b, 0) / consumers / minutes,
        2,
      ),
    };
  } finally {
    for (const p of pages) {
      await p.context().close();
    }
    await server.close();
  }
}
