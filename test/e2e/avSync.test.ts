import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import t from 'tap';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import type { Manifest } from '../../archive/manifest.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { firstVideoPacket, lavfiWav } from '../helpers/media.js';
import { tempDir } from '../helpers/cli.js';
import { showServerWarningsOnFailure } from '../helpers/serverLogs.js';
import { startTestServer, tokenFor } from '../helpers/session.js';

// A/V sync through the SFU and the recorder, measured: both points' fake camera shows a
// white flash every 2 s and their fake microphone beeps at the same instants. In each
// recorded file the flashes and beeps are found and paired; their offset is compared
// with the same offset observed in the sending page itself (the fake devices' own
// start-up skew), so what is measured is what the SFU and recorder add. The page also
// notes each flash's wall-clock time, so each file's wall clock can be checked.
const PERIOD = 2;
const ffmpeg = resolveFfmpeg(null).path;
const media = tempDir('av-sync');
const y4m = path.join(media, 'flash.y4m');
// A loud sweep: a steady tone would be learnt away by the page's noise suppression.
const wav = lavfiWav(
  path.join(media, 'beep.wav'),
  `aevalsrc='if(lt(t,0.1),0.9*sin(2*PI*(600+9000*t)*t),0)':s=48000:d=${PERIOD}`,
);
if (!existsSync(y4m)) {
  execFileSync(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x303030:s=640x360:r=30:d=${PERIOD}`,
    '-vf',
    "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(t,0.1)'",
    '-pix_fmt',
    'yuv420p',
    y4m,
  ]);
}

const dataDir = tempDir('av-sync-data');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_RECORDER_SEGMENT_SECONDS: '4',
  DIEMCAU_RECORDER_COMPOSITE: 'false',
});
// One browser per point, as on two PCs: in one browser, each page's echo canceller would
// hear the other page play the very same beeps and cancel them.
const fakeDevices = [
  `--use-file-for-fake-video-capture=${y4m}`,
  `--use-file-for-fake-audio-capture=${wav}`,
];
const browsers: Browser[] = [await launchBrowser(fakeDevices), await launchBrowser(fakeDevices)];
t.teardown(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  server.child.kill('SIGKILL');
});
const SESSION = 'av-sync';
showServerWarningsOnFailure(server);
const archive = path.join(dataDir, 'archive', SESSION);

/** Keeps every captured stream within reach of the observer below. */
const KEEP_STREAMS = `(() => {
  const md = navigator.mediaDevices;
  const original = md.getUserMedia.bind(md);
  window.__streams = [];
  md.getUserMedia = async (c) => { const s = await original(c); window.__streams.push(s); return s; };
})();`;

/**
 * In the page: the wall-clock time of each flash (from the captured frame's own capture
 * time) and each beep (from the audio clock) on the very tracks being sent.
 */
const OBSERVE = `(() => {
  const w = window;
  w.__flashes = []; w.__beeps = []; w.__inexact = [];
  const live = (kind) => w.__streams.flatMap((s) => s.getTracks())
    .filter((t) => t.kind === kind && t.readyState === 'live').pop();
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = new MediaStream([live('video')]);
  void video.play();
  const canvas = document.createElement('canvas'); canvas.width = 16; canvas.height = 9;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let bright = false;
  let presented = -1;
  const onFrame = (_now, meta) => {
    // A frame the callback never saw (a busy page skips some) may have been the flash's
    // first: the one seen is then a frame or two late, and no reference for the flash.
    const skipped = presented >= 0 && meta.presentedFrames > presented + 1;
    presented = meta.presentedFrames;
    ctx.drawImage(video, 0, 0, 16, 9);
    const d = ctx.getImageData(0, 0, 16, 9).data;
    let sum = 0; for (let i = 0; i < d.length; i += 4) sum += d[i];
    const isBright = sum / (d.length / 4) > 160;
    if (isBright && !bright) {
      const at = performance.timeOrigin + (meta.captureTime ?? meta.expectedDisplayTime);
      (skipped || meta.captureTime === undefined ? w.__inexact : w.__flashes).push(at);
    }
    bright = isBright;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  const ac = new AudioContext({ sampleRate: 48000 });
  const node = ac.createScriptProcessor(256, 1, 1);
  let loud = false;
  node.onaudioprocess = (e) => {
    const x = e.inputBuffer.getChannelData(0);
    let peak = 0; for (const v of x) peak = Math.max(peak, Math.abs(v));
    const last = w.__beeps[w.__beeps.length - 1] ?? -Infinity;
    if (peak > 0.2 && !loud && performance.timeOrigin + performance.now() - last > ${(PERIOD / 2) * 1000}) {
      // The buffer is handed over as soon as it is full: its first sample came in one
      // buffer ago; the onset is where the sound starts within it. (Not the output
      // clock of getOutputTimestamp, which runs later by the output latency.)
      const first = x.findIndex((v) => Math.abs(v) > 0.2);
      w.__beeps.push(performance.timeOrigin + performance.now() - ((256 - first) / 48000) * 1000);
    }
    loud = peak > 0.2;
  };
  ac.createMediaStreamSource(new MediaStream([live('audio')])).connect(node);
  node.connect(ac.destination);
  return true;
})()`;

interface Onsets {
  flashes: number[];
  beeps: number[];
  /** Flashes the page could not time exactly (left out as references). */
  inexact?: number;
}

/** Flash and beep onsets (s, the file's own timestamps) in a recorded file. */
function onsetsIn(file: string): Onsets {
  const { stderr } = spawnSync(
    ffmpeg,
    [
      '-hide_banner',
      '-copyts',
      '-i',
      file,
      '-filter_complex',
      '[0:v]signalstats,metadata=print:key=lavfi.signalstats.YAVG[v];' +
        '[0:a]asetnsamples=n=240:p=0,astats=metadata=1:reset=1,' +
        'ametadata=print:key=lavfi.astats.Overall.Peak_level[a]',
      '-map',
      '[v]',
      '-map',
      '[a]',
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const pts = new Map<string, number>();
  const result: Onsets = { flashes: [], beeps: [] };
  let bright = false;
  let loud = false;
  for (const line of stderr.split('\n')) {
    const m = /^\[(\w+) @ [^\]]+\] (.*)$/.exec(line);
    if (!m) {
      continue;
    }
    const [, who = '', what = ''] = m;
    const time = /pts_time:(-?[\d.]+)/.exec(what);
    if (time) {
      pts.set(who, Number(time[1]));
      continue;
    }
    const at = pts.get(who) ?? NaN;
    const luma = /signalstats\.YAVG=([\d.]+)/.exec(what);
    if (luma) {
      const isBright = Number(luma[1]) > 160;
      if (isBright && !bright) {
        result.flashes.push(at);
      }
      bright = isBright;
    }
    const peak = /Peak_level=(-?[\d.]+|-inf)/.exec(what);
    if (peak) {
      const isLoud = peak[1] !== '-inf' && Number(peak[1]) > -14;
      // A beep that dips for a moment (the sender's audio processing) is still one beep:
      // only the start of a beep, half a period after the last, counts.
      const last = result.beeps[result.beeps.length - 1] ?? -Infinity;
      if (isLoud && !loud && at - last > PERIOD / 2) {
        result.beeps.push(at);
      }
      loud = isLoud;
    }
  }
  return result;
}

/** Pairs each `a` with the nearest `b` within half a period: b − a, in ms. */
function offsets(a: number[], b: number[]): number[] {
  return a.flatMap((x) => {
    const nearest = nearestTo(x, b);
    return Number.isFinite(nearest) && Math.abs(nearest - x) < (PERIOD / 2) * 1000
      ? [nearest - x]
      : [];
  });
}

function nearestTo(x: number, ys: number[]): number {
  return ys.reduce((best, y) => (Math.abs(y - x) < Math.abs(best - x) ? y : best), ys[0] ?? NaN);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');

t.test('sound and picture stay together, and two points agree on the wall clock', async (t) => {
  const points = ['central', 'lang-son'];
  const pages: Page[] = [];
  for (const [i, id] of points.entries()) {
    pages.push(
      await joinPage(
        browsers[i] as Browser,
        server.url,
        tokenFor(SESSION, id, id === 'central' ? 'host' : 'delegate'),
        { initScript: KEEP_STREAMS },
      ),
    );
  }
  for (const page of pages) {
    await page.evaluate(OBSERVE);
  }
  // Long enough for four pairs or more even when a loaded machine starts the recording late.
  await new Promise((r) => setTimeout(r, 16_000));
  const observed: Onsets[] = [];
  for (const page of pages) {
    observed.push(
      await page.evaluate(() => {
        const w = window as unknown as {
          __flashes: number[];
          __inexact: number[];
          __beeps: number[];
        };
        return { flashes: w.__flashes, beeps: w.__beeps, inexact: w.__inexact.length };
      }),
    );
  }
  for (const page of pages) {
    await page.click('[data-testid="leave"]');
  }
  const manifestFile = path.join(archive, 'manifest.json');
  let m: Manifest | null = null;
  for (let i = 0; i < 300; i++) {
    m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    const joined = m.events.filter((e) => e.type === 'recording-joined').length;
    const runs = new Set(m.files.filter((f) => f.kind === 'av').map((f) => f.run)).size;
    if (joined >= runs && runs >= 2) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallErrors: number[] = [];
  for (const [i, id] of points.entries()) {
    const seen = observed[i] as Onsets;
    const sourceSkew = offsets(seen.flashes, seen.beeps);
    // Eight flashes are shown; a loaded page's frame callback misses some (seen in CI: 4).
    t.ok(seen.flashes.length >= 3, `${id}: ${seen.flashes.length} flashes seen by the page`);
    if (seen.inexact) {
      t.comment(
        `${id}: ${seen.inexact} flash(es) the page saw a frame late, not used as references`,
      );
    }
    t.ok(
      sourceSkew.length >= 3,
      `${id}: the fake devices' own skew, as sent: ${fmt(sourceSkew)} ms`,
    );
    const files = (m?.files ?? []).filter((f) => f.pointId === id && f.kind === 'av');
    t.equal(files.length, 1, `${id}: one recorded file`);
    const file = files[0];
    if (!file) {
      continue;
    }
    const first = firstVideoPacket(path.join(archive, file.file));
    t.ok(
      first.keyframe && first.pts <= 1,
      `${id}: the file starts with a keyframe, ${(first.pts * 1000).toFixed(0)} ms into the recording`,
    );
    const found = onsetsIn(path.join(archive, file.file));
    const start = Date.parse(file.start);
    const flashes = found.flashes.map((s) => start + s * 1000);
    const beeps = found.beeps.map((s) => start + s * 1000);
    // Per flash: the file's beep − flash, less the same pair's beep − flash as sent (the
    // fake devices loop their files at slightly different rates, so the skew drifts).
    const pairedAt: number[] = [];
    const av = flashes.flatMap((f) => {
      const sent = nearestTo(f, seen.flashes);
      const sentBeep = nearestTo(sent, seen.beeps);
      const beep = nearestTo(f, beeps);
      // The fake devices' own skew may reach half a second or more at start-up (seen in
      // CI: −480 to −673 ms): a beep pairs with its flash anywhere within half a period.
      const half = (PERIOD / 2) * 1000 - 100;
      const ok =
        Math.abs(sent - f) < 500 && Math.abs(sentBeep - sent) < half && Math.abs(beep - f) < half;
      if (!ok) {
        return [];
      }
      pairedAt.push((f - start) / 1000);
      return [beep - f - (sentBeep - sent)];
    });
    // Three pairs at least: under CI's load a flash may go unseen by the page (a skipped
    // frame) or the source's skew may drift past pairing (seen: −866 ms), leaving one out.
    t.ok(av.length >= 3, `${id}: ${av.length} flash/beep pairs in the recording`);
    t.comment(`${id}: pairs at ${pairedAt.map((s) => s.toFixed(2)).join(', ')} s into the file`);
    // The typical pair is held to 40 ms. Single pairs get more room: on a starved machine
    // the fake devices' own skew moves by up to 80 ms between two flashes (seen in CI), and
    // the page times each beep on its main thread, so a pair taken while it moved is noisy.
    const typical = median(av.map(Math.abs));
    t.ok(
      typical <= 40 && av.every((o) => Math.abs(o) <= 120),
      `${id}: sound vs picture, beyond the source's own skew: ${fmt(av)} ms ` +
        `(target: median |x| ${typical.toFixed(0)} ≤ 40, each ≤ 120)`,
    );
    const wall = offsets(seen.flashes, flashes);
    t.ok(wall.length >= 4, `${id}: ${wall.length} flashes matched to the page's clock`);
    wallErrors.push(median(wall));
    t.comment(`${id}: file wall clock − capture time: ${fmt(wall)} ms`);
  }
  const [a = NaN, b = NaN] = wallErrors;
  t.ok(
    Math.abs(a - b) <= 100,
    `the two points' files agree on the wall clock within ${Math.abs(a - b).toFixed(0)} ms (target ≤ 100)`,
  );
});
