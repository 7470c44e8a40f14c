import path from 'node:path';
import type { Page } from 'playwright-core';
import t from 'tap';
import type { BandwidthStatus } from '../../protocol/bandwidth.js';
import {
  TRACK_PEER_CONNECTIONS_SCRIPT,
  joinPoints,
  launchBrowser,
  outboundRtp,
  remoteStats,
  waitForMediaFrom,
} from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { lavfiWav } from '../helpers/media.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// Dynacast in a real session: three Chromium points, nobody speaking (silent
// microphones), recording off. The chair spotlights Huế: the others' cameras are
// thumbnails on every page, so after a few seconds their medium and large layers go
// down to a trickle (their uplinks carry the thumbnail and a few frames a second),
// while Huế sends everything. The spotlight moves to Cà Mau: its large layer is back in
// full and the other pages show it full size. Recording starts: what is recorded is
// sent whole, whoever watches it.
const silence = lavfiWav(
  path.join(tempDir('dynacast-media'), 'silence.wav'),
  'anullsrc=r=48000:cl=mono',
  5,
);
const server = await startTestServer({
  DIEMCAU_DATA_DIR: tempDir('dynacast'),
  DIEMCAU_RECORDER_AUTO_START: 'false',
});
showServerWarningsOnFailure(server);
const browser = await launchBrowser([`--use-file-for-fake-audio-capture=${silence}`]);
t.teardown(async () => {
  await browser.close();
  server.child.kill('SIGKILL');
});

const SESSION = 'dynacast';
const POINTS = ['central', 'hue', 'ca-mau'];
const pages = await joinPoints(
  browser,
  server.url,
  SESSION,
  POINTS,
  () => TRACK_PEER_CONNECTIONS_SCRIPT,
);
const page = (id: string): Page => pages.get(id) as Page;
const operator = tokenFor(SESSION, 'ops', 'operator');

/** Which layers a point's camera sends, as its SDK was told (null: all). */
const sending = (id: string): Promise<boolean[] | null> =>
  page(id).evaluate(() =>
    (
      window as unknown as {
        diemcauSession: { sendingLayers(s: string): boolean[] | null };
      }
    ).diemcauSession.sendingLayers('camera'),
  );

/** What the page's camera sent per simulcast layer (rid) over `ms`: bytes, frames. */
async function sentPerLayer(
  id: string,
  ms: number,
): Promise<Record<string, { bytes: number; frames: number }>> {
  const read = async (): Promise<Record<string, { bytes: number; frames: number }>> => {
    const out: Record<string, { bytes: number; frames: number }> = {};
    for (const s of await outboundRtp(page(id))) {
      if (s.kind === 'video' && s.rid) {
        const o = out[s.rid] ?? { bytes: 0, frames: 0 };
        out[s.rid] = {
          bytes: o.bytes + (s.bytesSent ?? 0),
          frames: o.frames + (s.framesEncoded ?? 0),
        };
      }
    }
    return out;
  };
  const before = await read();
  await new Promise((r) => setTimeout(r, ms));
  const after = await read();
  return Object.fromEntries(
    Object.entries(after).map(([rid, a]) => [
      rid,
      { bytes: a.bytes - (before[rid]?.bytes ?? 0), frames: a.frames - (before[rid]?.frames ?? 0) },
    ]),
  );
}

const bytesOf = (layers: Record<string, { bytes: number }>, rid: string): number =>
  layers[rid]?.bytes ?? 0;
const framesOf = (layers: Record<string, { frames: number }>, rid: string): number =>
  layers[rid]?.frames ?? 0;

/** Waits until `check` holds (polled every 250 ms); ms taken. */
async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`not within ${timeoutMs} ms: ${what}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - started;
}

const sameLayers = (a: boolean[] | null, b: boolean[]): boolean =>
  a !== null && a.length === b.length && a.every((x, i) => x === b[i]);

t.test('a camera shown only as a thumbnail sends only its thumbnail', async (t) => {
  for (const id of POINTS) {
    await waitForMediaFrom(
      page(id),
      POINTS.filter((p) => p !== id),
      20_000,
    );
  }
  await page('central').evaluate(() =>
    (
      window as unknown as { diemcauSession: { setSpotlight(p: string): Promise<void> } }
    ).diemcauSession.setSpotlight('hue'),
  );
  const took = await until(
    async () => sameLayers(await sending('ca-mau'), [true, false, false]),
    20_000,
    'Cà Mau told to send its thumbnail only',
  );
  t.pass(`Cà Mau's camera told to send its thumbnail only, ${took} ms after the spotlight moved`);
  // The browser takes a moment to thin the encodings; then they trickle, each layer at
  // a sixth of its bitrate (900 kbit/s for the large one: 450 kB in 4 s in full), still
  // flowing so that mediasoup can switch to one at once.
  await new Promise((r) => setTimeout(r, 1000));
  const caMau = await sentPerLayer('ca-mau', 4000);
  const seen = JSON.stringify(caMau);
  t.ok(framesOf(caMau, 'r0') >= 20, `its thumbnail still flows in full: ${seen}`);
  for (const [rid, fullKbps] of [
    ['r1', 350],
    ['r2', 900],
  ] as const) {
    t.ok(
      framesOf(caMau, rid) >= 8,
      `its ${rid} layer still flows: ${framesOf(caMau, rid)} frames in 4 s (${seen})`,
    );
    t.ok(
      bytesOf(caMau, rid) <= ((fullKbps * 1000) / 8) * 4 * 0.25,
      `its ${rid} layer carries under a quarter of its full rate: ${bytesOf(caMau, rid)} bytes in 4 s`,
    );
  }
  // Whether Huế's browser sends its large layer yet is its own ramp-up (its own uplink
  // estimate); what the server controls is that it was never told to stop one.
  t.ok(
    (await sending('hue'))?.every(Boolean) ?? true,
    'the spotlit Huế was never told to stop any',
  );
  for (const id of ['central', 'hue']) {
    await waitForMediaFrom(page(id), ['ca-mau'], 10_000);
    t.pass(`${id} still decodes Cà Mau`);
  }

  const live = (await (
    await fetch(`${server.url}/api/v1/sessions/${SESSION}/live`, {
      headers: { authorization: `Bearer ${operator}` },
    })
  ).json()) as { bandwidth: BandwidthStatus | null };
  const publisher = live.bandwidth?.publishers.find((p) => p.pointId === 'ca-mau');
  t.equal(publisher?.maxSpatialLayer, 0, 'the live view says Cà Mau was told: the thumbnail only');
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const stopped = Number(
    new RegExp(`diemcau_bandwidth_layers_stopped\\{session="${SESSION}"\\} (\\d+)`).exec(
      metrics,
    )?.[1],
  );
  t.ok(stopped >= 2, `/metrics counts ${stopped} layers held back to a trickle`);
});

t.test(
  'the spotlight moves: the trickling camera sends its large layer in full, shown full size',
  async (t) => {
    const captured = await page('ca-mau').evaluate(
      () =>
        (
          window as unknown as {
            diemcauSession: { localTrack(s: string): MediaStreamTrack | null };
          }
        ).diemcauSession
          .localTrack('camera')
          ?.getSettings().width ?? 0,
    );
    t.ok(captured > 0, `Cà Mau captures ${captured} px wide`);
    const started = Date.now();
    await page('central').evaluate(() =>
      (
        window as unknown as { diemcauSession: { setSpotlight(p: string): Promise<void> } }
      ).diemcauSession.setSpotlight('ca-mau'),
    );
    const widthAt = async (id: string): Promise<number> =>
      Math.max(
        0,
        ...(await remoteStats(page(id)))
          .filter((s) => s.pointId === 'ca-mau' && s.kind === 'video')
          .map((s) => (s as { frameWidth?: number }).frameWidth ?? 0),
      );
    // Under load Chromium may send its top layer smaller than it captures (its CPU
    // adaptation): full size is the top layer as Cà Mau's browser sends it now.
    const topWidth = async (): Promise<number> =>
      Math.max(
        0,
        ...(await outboundRtp(page('ca-mau')))
          .filter((s) => s.kind === 'video' && s.rid === 'r2')
          .map((s) => s.frameWidth ?? 0),
      );
    const seen = new Map<string, string>();
    await Promise.all(
      ['central', 'hue'].map((id) =>
        until(
          async () => {
            const [shown, top] = [await widthAt(id), await topWidth()];
            seen.set(id, `${shown} px shown, its top layer ${top} px`);
            return top > 0 && shown >= top;
          },
          15_000,
          `${id} shows Cà Mau full size`,
        ).catch((err: Error) => {
          throw new Error(`${err.message} (last: ${seen.get(id)}; captured ${captured} px)`);
        }),
      ),
    );
    t.pass(
      `both pages show Cà Mau full size (${[...seen.values()].join('; ')}), ${Date.now() - started} ms after the spotlight moved`,
    );
    t.ok((await sending('ca-mau'))?.every(Boolean), 'Cà Mau sends every layer in full again');
    const caMau = await sentPerLayer('ca-mau', 2000);
    // Over a quarter of 900 kbit/s: more than a trickle's sixth, while the browser's
    // rate control climbs to the rest.
    t.ok(
      bytesOf(caMau, 'r2') > ((900_000 / 8) * 2) / 4,
      `its large layer flows in full again: ${JSON.stringify(caMau)}`,
    );
  },
);

t.test('what is recorded is sent whole, whoever watches it', async (t) => {
  // Huế, out of the spotlight, is a thumbnail everywhere again: its large layer trickles.
  await until(
    async () => (await sending('hue'))?.[2] === false,
    20_000,
    'Huế told to send its large layer as a trickle',
  );
  t.pass('Huế, now a thumbnail, sends its large layer as a trickle');
  await page('central').evaluate(() =>
    (
      window as unknown as { diemcauSession: { setRecording(r: boolean): Promise<void> } }
    ).diemcauSession.setRecording(true),
  );
  const took = await until(
    async () => (await sending('hue'))?.[2] === true,
    15_000,
    'Huế told to send its large layer for the recorder',
  );
  t.pass(`recording on: Huế sends its large layer in full again (${took} ms)`);
  // Its browser ramps the layer up on its own time (its own uplink estimate).
  const flowed = await until(
    async () => bytesOf(await sentPerLayer('hue', 1000), 'r2') > 900_000 / 8 / 4,
    15_000,
    "Huế's large layer flowing in full",
  );
  t.pass(`and it flows in full, ${flowed} ms later`);
});
