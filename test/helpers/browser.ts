import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { findOnPath } from '../../archive/ffmpegBinary.js';
import { lavfiWav } from './media.js';
import { tokenFor } from './session.js';

/**
 * The fake microphone's sound: Chromium's default beep is so regular that the page's
 * noise suppression learns it away, and a muted-but-for-one session then has no clear
 * speaker. A pitch- and loudness-modulated tone is speech-like enough to stay.
 */
function speechLikeWav(): string {
  return lavfiWav(
    path.join(tmpdir(), 'diemcau-fake-voice.wav'),
    "aevalsrc='0.5*sin(2*PI*(220+120*sin(2*PI*0.9*t))*t)*(0.55+0.45*sin(2*PI*3.3*t))':s=48000:d=12",
  );
}

/** Debian's Chromium as the delegate PC, with fake camera and microphone. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = findOnPath('chromium');
  if (!executablePath) {
    throw new Error('chromium is not installed: run `npm run setup` (apt-get install chromium)');
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
      // A test's own sound file replaces the speech-like one.
      ...(extraArgs.some((a) => a.startsWith('--use-file-for-fake-audio-capture='))
        ? []
        : [`--use-file-for-fake-audio-capture=${speechLikeWav()}`]),
      ...extraArgs,
    ],
  });
}

/** Opens the delegate page with a token, passes the device check and joins. */
export async function joinPage(
  browser: Browser,
  baseUrl: string,
  token: string,
  options: { initScript?: string } = {},
): Promise<Page> {
  const context = await browser.newContext();
  if (options.initScript) {
    await context.addInitScript(options.initScript);
  }
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(`${baseUrl}/join?token=${encodeURIComponent(token)}`);
  await page.check('[data-testid="recording-consent"]', { timeout: 15_000 });
  await page.click('[data-testid="join-button"]:not([disabled])', { timeout: 15_000 });
  try {
    await waitForState(page, 'connected', 30_000);
  } catch (err) {
    // Say what the page shows, so a failure here can be understood from the CI log.
    const shown = await page
      .evaluate(() => {
        const doc = (
          globalThis as unknown as {
            document: { querySelector(q: string): { textContent: string | null } | null };
          }
        ).document;
        return {
          state: doc.querySelector('[data-testid="connection-state"]')?.textContent,
          error: doc.querySelector('[data-testid="error"]')?.textContent,
        };
      })
      .catch(() => null);
    throw new Error(
      `${(err as Error).message}; the page shows ${JSON.stringify(shown)}; console: ${consoleLines.slice(-10).join(' | ')}`,
      { cause: err },
    );
  }
  return page;
}

export async function waitForState(page: Page, state: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    (s) =>
      (
        globalThis as unknown as {
          document: { querySelector(q: string): { textContent: string | null } | null };
        }
      ).document.querySelector('[data-testid="connection-state"]')?.textContent === s,
    state,
    { timeout },
  );
}

export interface PageStats {
  pointId: string;
  kind: 'audio' | 'video';
  source: string;
  framesDecoded?: number;
  totalSamplesReceived?: number;
}

/** What this page's SDK reports as received and decoded, per remote track. */
export async function remoteStats(page: Page): Promise<PageStats[]> {
  return page.evaluate(async () => {
    const s = (globalThis as unknown as { diemcauSession?: { getStats(): Promise<PageStats[]> } })
      .diemcauSession;
    return s ? s.getStats() : [];
  });
}

/** Remote tracks this page has decoded more of between two samples `intervalMs` apart. */
export async function growingTracks(
  page: Page,
  intervalMs = 1500,
): Promise<{ video: Set<string>; audio: Set<string> }> {
  const key = (s: PageStats): string => `${s.pointId}/${s.kind}/${s.source}`;
  const first = new Map((await remoteStats(page)).map((s) => [key(s), s]));
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
  const video = new Set<string>();
  const audio = new Set<string>();
  for (const s of await remoteStats(page)) {
    const before = first.get(key(s));
    if (!before) {
      continue;
    }
    if (s.kind === 'video' && (s.framesDecoded ?? 0) > (before.framesDecoded ?? 0)) {
      video.add(s.pointId);
    }
    if (s.kind === 'audio' && (s.totalSamplesReceived ?? 0) > (before.totalSamplesReceived ?? 0)) {
      audio.add(s.pointId);
    }
  }
  return { video, audio };
}

/**
 * Waits until this page decodes growing video and audio from every listed point.
 * Returns how long that took.
 */
export async function waitForMediaFrom(
  page: Page,
  pointIds: string[],
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { video, audio } = await growingTracks(page, 700);
    if (pointIds.every((p) => video.has(p) && audio.has(p))) {
      return Date.now() - started;
    }
    if (Date.now() - started > timeoutMs) {
      const missing = pointIds.filter((p) => !video.has(p) || !audio.has(p));
      throw new Error(`no growing media from ${missing.join(', ')} after ${timeoutMs} ms`);
    }
  }
}

/** An init script that keeps every instance the page makes of `ctor` in `window[list]`. */
const trackInstancesScript = (ctor: string, list: string): string => `
  (() => {
    const Native = window.${ctor};
    window.${list} = [];
    window.${ctor} = class extends Native {
      constructor(...args) { super(...args); window.${list}.push(this); }
    };
  })();
`;

/** Makes the page's SDK WebSockets reachable, so a test can drop them. */
export const TRACK_SOCKETS_SCRIPT = trackInstancesScript('WebSocket', '__sockets');

/** Makes the page's peer connections reachable (`__pcs`): a test can read their stats. */
export const TRACK_PEER_CONNECTIONS_SCRIPT = trackInstancesScript('RTCPeerConnection', '__pcs');

/** One stream a page sends, as its browser counts it. */
export interface OutboundRtp {
  kind?: string;
  /** The simulcast layer's id (r0, r1, r2), where there are layers. */
  rid?: string;
  bytesSent?: number;
  headerBytesSent?: number;
  frameWidth?: number;
  framesEncoded?: number;
}

/** What a page's open peer connections send, per stream (`TRACK_PEER_CONNECTIONS_SCRIPT`). */
export function outboundRtp(page: Page): Promise<OutboundRtp[]> {
  return page.evaluate(async () => {
    const out: OutboundRtp[] = [];
    // Runs in the page: only what it needs of RTCPeerConnection (no DOM types here).
    type Stats = { forEach(f: (s: { type: string } & OutboundRtp) => void): void };
    const pcs = (
      globalThis as unknown as {
        __pcs: { connectionState: string; getStats(): Promise<Stats> }[];
      }
    ).__pcs;
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') {
        continue;
      }
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp') {
          const { kind, rid, bytesSent, headerBytesSent, frameWidth, framesEncoded } = s;
          out.push({ kind, rid, bytesSent, headerBytesSent, frameWidth, framesEncoded });
        }
      });
    }
    return out;
  });
}

/**
 * A network that can go away: while `__offline`, the page's new WebSockets go nowhere
 * (a dead port); `setOffline` closes the open ones, as a dropped link would.
 */
export const OUTAGE_SCRIPT = `
  (() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.__offline = false;
    window.WebSocket = class extends Native {
      constructor(url, ...rest) {
        super(window.__offline ? 'ws://127.0.0.1:9/' : url, ...rest);
        window.__sockets.push(this);
      }
    };
  })();
`;

/** Drops (or gives back) the signaling link of a page that runs `OUTAGE_SCRIPT`. */
export async function setOffline(page: Page, offline: boolean): Promise<void> {
  await page.evaluate((off) => {
    const w = globalThis as unknown as { __offline: boolean; __sockets: { close(): void }[] };
    w.__offline = off;
    if (off) {
      for (const s of w.__sockets) {
        s.close();
      }
    }
  }, offline);
}

/** Video frames this page has decoded from one point's source ('camera' or 'screen'). */
export async function framesDecodedFrom(
  page: Page,
  pointId: string,
  source: string,
): Promise<number> {
  const stats = await remoteStats(page);
  return stats.find((s) => s.pointId === pointId && s.source === source)?.framesDecoded ?? 0;
}

/**
 * Each point of a session joined as a page of its own, in order: "central" as the host,
 * every other as a delegate. `initScript` per point, where a test needs one.
 */
export async function joinPoints(
  browser: Browser,
  baseUrl: string,
  sessionId: string,
  pointIds: readonly string[],
  initScript: (pointId: string) => string | undefined = () => undefined,
): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>();
  for (const id of pointIds) {
    const script = initScript(id);
    pages.set(
      id,
      await joinPage(
        browser,
        baseUrl,
        tokenFor(sessionId, id, id === 'central' ? 'host' : 'delegate'),
        script === undefined ? {} : { initScript: script },
      ),
    );
  }
  return pages;
}

/**
 * The page's local UDP port on each of its connected peer connections' selected pair
 * (its send and its receive transport); the page was joined with
 * TRACK_PEER_CONNECTIONS_SCRIPT.
 */
export async function peerConnectionPorts(page: Page): Promise<number[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ports = await page.evaluate(async () => {
      const found: number[] = [];
      // Typed here as far as used: this file is compiled without the DOM's types.
      type Stats = Map<
        string,
        { type: string; selectedCandidatePairId?: string; localCandidateId?: string; port?: number }
      >;
      const pcs = (
        globalThis as unknown as {
          __pcs: { connectionState: string; getStats(): Promise<Stats> }[];
        }
      ).__pcs;
      for (const pc of pcs) {
        if (pc.connectionState !== 'connected') {
          continue;
        }
        const stats = await pc.getStats();
        stats.forEach((r) => {
          const pair =
            r.type === 'transport' ? stats.get(r.selectedCandidatePairId ?? '') : undefined;
          const local = pair ? stats.get(pair.localCandidateId ?? '') : undefined;
          if (local?.port) {
            found.push(local.port);
          }
        });
      }
      return found;
    });
    // Its send and its receive transport.
    if (ports.length >= 2) {
      return ports;
    }
    if (Date.now() > deadline) {
      throw new Error(`the page's peer connections did not both connect: ports ${ports.join()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
