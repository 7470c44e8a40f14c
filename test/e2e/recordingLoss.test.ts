import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import t from 'tap';
import type { Manifest } from '../../archive/manifest.js';
import { joinPage, launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/cli.js';
import { startInProcessServer } from '../helpers/inProcessServer.js';
import { type LossyRelay, lossyRelay } from '../helpers/lossyRelay.js';
import { videoPackets } from '../helpers/media.js';
import { tokenFor } from '../helpers/session.js';

// A packet of a delegate point's video lost between the SFU and the recorder's ffmpeg
// (a starved socket, a resend that came too late): ffmpeg drops every picture after it
// until a keyframe, and cannot ask for one itself. The server must, at once: the periodic
// keyframe is half a segment (here 30 s) away. The server runs in this process, so a
// lossy hop can be put in front of its recorder's ports; everything else is the real one.
const SESSION = 'mat-goi';
const dataDir = tempDir('recording-loss');
const server = await startInProcessServer(dataDir, {
  workers: 1,
  env: { DIEMCAU_RECORDER_SEGMENT_SECONDS: '60', DIEMCAU_RECORDER_COMPOSITE: 'false' },
});
const browser: Browser = await launchBrowser();
const relays: LossyRelay[] = [];
t.teardown(async () => {
  await browser.close();
  await server.close();
  relays.forEach((r) => r.close());
});

t.test(
  'a video packet lost on the way to the recorder: the picture is back within a second',
  async (t) => {
    const room = (await server.sessions.open(SESSION)).room;
    const vp8 = (await room.rtpCapabilities()).codecs?.find((c) => c.mimeType === 'video/VP8');
    const recordingConsumer = room.media.recordingConsumer.bind(room.media);
    const recordingFrom = Date.now();
    let lostAt = 0;
    room.media.recordingConsumer = async (producerId, port, rtcpPort) => {
      // Lose the first packet of one picture, 5 s into the recording.
      const relay = await lossyRelay({ port, rtcpPort }, (p) => {
        if (lostAt || p.payloadType !== vp8?.preferredPayloadType || !p.startsPicture) {
          return 'pass';
        }
        if (Date.now() - recordingFrom < 5000) {
          return 'pass';
        }
        lostAt = Date.now();
        return 'drop';
      });
      relays.push(relay);
      return recordingConsumer(producerId, relay.port, relay.rtcpPort);
    };

    const page = await joinPage(browser, server.url, tokenFor(SESSION, 'ha-giang', 'delegate'));
    await new Promise((r) => setTimeout(r, 11_000));
    // The point stops sending here: its last picture is measured against this, not
    // against the file's end, which comes after its leave and its ffmpeg's stop.
    const leftAt = Date.now();
    await page.close();
    // The point has left: the session ends and its run is joined into one file.
    const manifestFile = path.join(dataDir, 'archive', SESSION, 'manifest.json');
    const deadline = Date.now() + 30_000;
    let files: Manifest['files'] = [];
    while (Date.now() < deadline) {
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      files = manifest.files.filter((f) => f.kind === 'av');
      if (manifest.events.some((e) => e.type === 'recording-joined')) {
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }

    t.ok(lostAt > 0, 'a packet was lost');
    t.same(
      relays.map((r) => r.dropped.length).sort(),
      [0, 1],
      'exactly one, of the video (the audio went through whole)',
    );
    t.ok(
      relays.every((r) => r.ssrcs.size === 1),
      "only the point's own streams reached ffmpeg (no bandwidth-probing padding)",
    );
    t.equal(files.length, 1, 'one file');
    const file = files[0];
    const pts = videoPackets(path.join(dataDir, 'archive', SESSION, file?.file ?? ''));
    const start = Date.parse(file?.start ?? '');
    // Around the loss, the longest time without a picture, up to the end of the file.
    const around = pts.map((p) => start + p.pts * 1000).filter((at) => at > lostAt - 2000);
    // The point's leaving closes the last gap; the pictures are all but the last entry.
    around.push(Math.min(leftAt, Date.parse(file?.end ?? '')));
    const gaps = around.slice(1).map((at, i) => at - (around[i] ?? at));
    const longest = Math.max(...gaps);
    const at = gaps.indexOf(longest);
    t.comment(
      `longest gap: from ${((around[at] ?? 0) - lostAt).toFixed(0)} ms to ` +
        `${((around[at + 1] ?? 0) - lostAt).toFixed(0)} ms after the loss`,
    );
    t.ok(around.length > 50, `pictures after the loss (${around.length})`);
    t.ok(longest < 1500, `the picture stopped for ${longest.toFixed(0)} ms at most`);
    t.ok((around.at(-2) ?? 0) - lostAt > 4000, 'and went on to the end of the session');
    // ffmpeg ended by an RTCP BYE flushes what it held: the last second is not lost.
    const tail = leftAt - (around.at(-2) ?? 0);
    t.ok(tail < 500, `its last picture is ${tail.toFixed(0)} ms before it left`);
  },
);
