import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import {
  TRACK_PEER_CONNECTIONS_SCRIPT,
  framesDecodedFrom,
  growingTracks,
  joinPage,
  outboundRtp,
  launchBrowser,
  waitForMediaFrom,
} from '../helpers/browser.js';
import { startTestServer, tokenFor, wsUrl } from '../helpers/session.js';
import { WsClient } from '../helpers/wsClient.js';

// One central point and three delegate points in real Chromium pages, through the SFU.
// Recording has its own test; here the live session alone, on a 2-core machine.
const server = await startTestServer({ DIEMCAU_RECORDER_AUTO_START: 'false' });
const browser: Browser = await launchBrowser();
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGTERM');
  await server.exited;
});

const SESSION = 'e2e-session';
const points = [
  { id: 'central', role: 'host' as const, name: 'Trụ sở tiếp công dân Trung ương' },
  { id: 'bo-tu-phap', role: 'delegate' as const, name: 'Bộ Tư pháp' },
  { id: 'ha-noi', role: 'delegate' as const, name: 'UBND TP Hà Nội' },
  { id: 'lao-cai', role: 'delegate' as const, name: 'UBND tỉnh Lào Cai' },
];
const pages = new Map<string, Page>();
for (const p of points) {
  pages.set(
    p.id,
    await joinPage(
      browser,
      server.url,
      tokenFor(SESSION, p.id, p.role, { name: p.name }),
      // The one that shares its screen has its uplink measured.
      p.id === 'bo-tu-phap' ? { initScript: TRACK_PEER_CONNECTIONS_SCRIPT } : {},
    ),
  );
}
const page = (id: string): Page => pages.get(id) as Page;

t.test('every page decodes video and audio from every other point', async (t) => {
  for (const p of points) {
    const others = points.filter((o) => o.id !== p.id).map((o) => o.id);
    const took = await waitForMediaFrom(page(p.id), others, 20_000);
    t.pass(`${p.id} receives growing video and audio from ${others.join(', ')} (${took} ms)`);
  }
});

t.test('each page shows a tile per bridge point, named, central first', async (t) => {
  for (const p of points) {
    const tiles = await page(p.id)
      .locator('.tile[data-point-id]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['pointId']));
    t.same(
      tiles.slice().sort(),
      points.map((o) => o.id).sort(),
      `${p.id} has a tile for each point`,
    );
    t.equal(tiles[0], 'central', 'the central point comes first');
  }
  const label = await page('ha-noi').locator('.tile[data-point-id="lao-cai"] .label').textContent();
  t.match(label, /UBND tỉnh Lào Cai/);
});

async function speakerSeenBy(viewer: Page): Promise<string | null> {
  return viewer.evaluate(
    () =>
      document.querySelector<HTMLElement>('.tile[data-active-speaker="true"]')?.dataset[
        'pointId'
      ] ?? null,
  );
}

async function waitForSpeaker(
  viewers: Page[],
  pointId: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = await Promise.all(viewers.map(speakerSeenBy));
    if (seen.every((s) => s === pointId)) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

t.test('the active speaker follows the only point making sound', async (t) => {
  const click = (id: string): Promise<void> => page(id).click('[data-testid="toggle-mic"]');
  // Only Bộ Tư pháp keeps its microphone open.
  for (const id of ['central', 'ha-noi', 'lao-cai']) {
    await click(id);
  }
  const viewers = [...pages.values()];
  t.ok(await waitForSpeaker(viewers, 'bo-tu-phap', 20_000), 'every page highlights Bộ Tư pháp');
  // Now only Lào Cai speaks.
  await click('bo-tu-phap');
  await click('lao-cai');
  t.ok(await waitForSpeaker(viewers, 'lao-cai', 20_000), 'the highlight moves to Lào Cai');
  const muted = await page('central')
    .locator('.tile[data-point-id="bo-tu-phap"] .badge.muted')
    .count();
  t.equal(muted, 1, 'a muted point shows as muted on the others');
  for (const id of ['central', 'ha-noi', 'bo-tu-phap']) {
    await click(id);
  }
});

t.test('hostile signaling from a participant does not disturb the others', async (t) => {
  const attacker = await WsClient.open(wsUrl(server));
  t.teardown(() => attacker.close());
  const auth = await attacker.request('auth', {
    token: tokenFor(SESSION, 'intruder', 'delegate'),
  });
  await attacker.request('join', { rtpCapabilities: auth.routerRtpCapabilities });
  let coded = 0;
  for (let i = 0; i < 300; i++) {
    const payloads = [
      '{',
      JSON.stringify({ id: i, method: 'mutePoint', data: { pointId: 'central' } }),
      JSON.stringify({ id: i, method: 'removePoint', data: { pointId: 'ha-noi' } }),
      JSON.stringify({ id: i, method: 'consume', data: { transportId: 'x', producerId: 'y' } }),
      JSON.stringify({ id: i, method: 'produce', data: { transportId: 1 } }),
    ];
    const r = await attacker.sendRaw(payloads[i % payloads.length] as string);
    if (!r.ok && r.error?.code.startsWith('DC_ERR_')) {
      coded += 1;
    }
  }
  t.equal(coded, 300, 'each hostile message got a coded error');
  const others = points.filter((o) => o.id !== 'central').map((o) => o.id);
  const { video, audio } = await growingTracks(page('central'));
  t.same([...video].sort(), others.sort(), 'video still flows to the central point');
  t.same([...audio].sort(), others.sort(), 'audio still flows to the central point');
});

t.test(
  'the host mutes a delegate from its page; the delegate is told and cannot unmute',
  async (t) => {
    await page('central').click('.tile[data-point-id="ha-noi"] [data-testid="op-mute"]');
    await page('ha-noi').waitForSelector('[data-testid="banner"]:not([hidden])', { timeout: 5000 });
    const banner = await page('ha-noi').locator('[data-testid="banner"]').textContent();
    t.match(banner, /Chủ trì đã tắt micro/);
    await page('ha-noi').click('[data-testid="toggle-mic"]');
    await page('ha-noi').waitForSelector('[data-testid="error"]:not([hidden])', { timeout: 5000 });
    t.equal(
      await page('ha-noi').locator('[data-testid="error"]').getAttribute('data-code'),
      'DC_ERR_MUTED_BY_OPERATOR',
    );
    await page('central').click('.tile[data-point-id="ha-noi"] [data-testid="op-mute"]');
    await page('ha-noi').waitForSelector('[data-testid="banner"][hidden]', {
      state: 'attached',
      timeout: 5000,
    });
    t.pass('unmuted by the host');
  },
);

t.test('screen sharing arrives as a second video, in its own tile', async (t) => {
  await page('bo-tu-phap').evaluate(async () => {
    // A canvas stands in for the screen (headless Chromium has no screen picker).
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    let frame = 0;
    setInterval(() => {
      ctx.fillStyle = `hsl(${(frame += 7) % 360} 60% 50%)`;
      ctx.fillRect(0, 0, 640, 360);
    }, 100);
    const track = canvas.captureStream(10).getVideoTracks()[0] as MediaStreamTrack;
    const s = (window as unknown as { diemcauSession: { publish(o: object): Promise<void> } })
      .diemcauSession;
    await s.publish({ screen: track });
  });
  await page('central').waitForSelector('[data-screen-of="bo-tu-phap"]', { timeout: 10_000 });
  const decoded = (): Promise<number> => framesDecodedFrom(page('central'), 'bo-tu-phap', 'screen');
  const before = await decoded();
  await new Promise((r) => setTimeout(r, 1500));
  t.ok((await decoded()) > before, 'the central point decodes the shared screen');
  const tiles = await page('central').locator('.tile[data-point-id="bo-tu-phap"]').count();
  t.equal(tiles, 1, 'the camera tile is still one per point');

  // Decision 748 gives a delegate ~5 Mbit/s: its camera, microphone and shared screen
  // together publish within it, less the 10 % every link keeps free.
  const uplinkKbps = 5000 * 0.9;
  const sent = async (): Promise<{ ceilingKbps: number; bytes: number; at: number }> => {
    const ceiling = await page('bo-tu-phap').evaluate(() => {
      let bps = 0;
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        for (const sender of pc.getSenders()) {
          if (sender.track?.kind === 'video') {
            for (const e of sender.getParameters().encodings) {
              bps += e.active === false ? 0 : (e.maxBitrate ?? Infinity);
            }
          }
        }
      }
      return bps;
    });
    // Payload (with retransmissions) and RTP headers: what the line carries.
    const bytes = (await outboundRtp(page('bo-tu-phap'))).reduce(
      (sum, s) => sum + (s.bytesSent ?? 0) + (s.headerBytesSent ?? 0),
      0,
    );
    return { ceilingKbps: ceiling / 1000, bytes, at: Date.now() };
  };
  const a = await sent();
  await new Promise((r) => setTimeout(r, 3000));
  const b = await sent();
  const kbps = ((b.bytes - a.bytes) * 8) / (b.at - a.at);
  t.ok(
    b.ceilingKbps > 0 && b.ceilingKbps <= uplinkKbps - 64,
    `its pictures' ceilings (${Math.round(b.ceilingKbps)} kbit/s) leave the sound room inside ${uplinkKbps}`,
  );
  t.ok(
    kbps > 0 && kbps <= uplinkKbps,
    `it sends ${Math.round(kbps)} kbit/s, camera, microphone and screen, inside ${uplinkKbps}`,
  );
});

t.test('turning a camera off stops its video for the others; on again, it returns', async (t) => {
  const cameraFrames = (): Promise<number> =>
    framesDecodedFrom(page('central'), 'lao-cai', 'camera');
  await page('lao-cai').click('[data-testid="toggle-camera"]');
  await new Promise((r) => setTimeout(r, 1000));
  const off1 = await cameraFrames();
  await new Promise((r) => setTimeout(r, 1500));
  const off2 = await cameraFrames();
  t.ok(off2 - off1 <= 2, `no new frames while the camera is off (${off2 - off1})`);
  await page('lao-cai').click('[data-testid="toggle-camera"]');
  await new Promise((r) => setTimeout(r, 1500));
  const on1 = await cameraFrames();
  await new Promise((r) => setTimeout(r, 1500));
  t.ok((await cameraFrames()) > on1, 'frames flow again once the camera is back on');
});

t.test(
  'a listener added after `await connect()` still gets every track found while joining',
  async (t) => {
    // The SDK as an application uses it, not through the page: connect, then subscribe.
    const context = await browser.newContext();
    const app = await context.newPage();
    await app.goto(`${server.url}/sdk/diemcau-client.js`);
    const token = tokenFor(SESSION, 'viewer', 'observer', { name: 'Viewer' });
    const seen = await app.evaluate(async (token) => {
      const sdkUrl = '/sdk/diemcau-client.js';
      const sdk = (await import(sdkUrl)) as {
        connect(o: { token: string }): Promise<{
          on(e: 'track', f: (t: { pointId: string; source: string }) => void): void;
          tracks: unknown[];
          leave(): Promise<void>;
        }>;
      };
      const s = await sdk.connect({ token });
      const got: string[] = [];
      const present = s.tracks.length;
      // A task later (an application awaiting something else first) is still in time.
      await Promise.resolve();
      s.on('track', ({ pointId, source }) => got.push(`${pointId}:${source}`));
      await new Promise((r) => setTimeout(r, 1500));
      await s.leave();
      return { got: got.sort(), present };
    }, token);
    for (const p of points) {
      t.ok(seen.got.includes(`${p.id}:mic`), `${p.id}'s microphone`);
      t.ok(seen.got.includes(`${p.id}:camera`), `${p.id}'s camera`);
    }
    t.equal(new Set(seen.got).size, seen.got.length, `each once: ${seen.got.join(' ')}`);
    t.equal(seen.got.length, seen.present, 'all that session.tracks held as connect() resolved');
    await context.close();
  },
);
