import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { makeTestClip, startsWithKeyframe, streamCodecs } from '../test/helpers/media.js';
import { resolveFfmpeg } from './ffmpegBinary.js';
import { joinSegments } from './joinSegments.js';
import { probeMedia } from './probe.js';

// Segments cut the way the recorder cuts them (codec copy, timestamps kept) are joined
// into one file holding exactly their packets over the same span of time.
const ffmpeg = resolveFfmpeg(null).path;
const dir = tempDir('join');
const clip = path.join(dir, 'clip.webm');
makeTestClip(clip, { size: '320x180', videoBitrate: '300k', gop: 25, seconds: 9 });
execFileSync(ffmpeg, [
  '-hide_banner',
  '-loglevel',
  'error',
  '-i',
  clip,
  '-map',
  '0',
  '-c',
  'copy',
  '-f',
  'segment',
  '-segment_time',
  '3',
  '-segment_format',
  'matroska',
  '-reset_timestamps',
  '0',
  path.join(dir, 'run-%05d.mkv'),
]);
const segments = [0, 1, 2].map((i) => path.join(dir, `run-0000${i}.mkv`));

t.test('the joined file holds every packet of every segment, over the same time', async (t) => {
  const out = path.join(dir, 'run.mkv');
  const joined = await joinSegments(ffmpeg, segments, out);
  t.equal(joined.file, out);
  t.ok(existsSync(out));
  t.ok(!existsSync(`${out}.part`), 'no partial file left');
  t.ok(joined.packets > 600, `${joined.packets} packets`);
  t.ok(Math.abs(joined.seconds - 9) < 0.2, `lasts ${joined.seconds} s`);
  t.same(streamCodecs(out).sort(), ['opus', 'vp8']);
  t.ok(startsWithKeyframe(out));
  const clipSpan = await probeMedia(ffmpeg, clip);
  t.ok(Math.abs(clipSpan.duration - joined.seconds) < 0.1, 'no gap or overlap made up');
  t.ok(
    segments.every((s) => existsSync(s)),
    'the segments are left for the caller to remove',
  );
});

t.test(
  'a segment cut short by a crash joins up to its damage; an unreadable one is refused',
  async (t) => {
    const damaged = path.join(dir, 'damaged-00001.mkv');
    const bytes = readFileSync(segments[1] ?? '');
    writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out = path.join(dir, 'damaged.mkv');
    // Cut in half, as by a crash: what can be read of it is joined; nothing at all, refused.
    const joined = await joinSegments(ffmpeg, [segments[0] ?? '', damaged], out);
    t.ok(
      joined.seconds > 3 && joined.seconds < 6,
      `a truncated segment joins up to its damage (${joined.seconds} s)`,
    );
    writeFileSync(damaged, 'not matroska');
    await t.rejects(joinSegments(ffmpeg, [segments[0] ?? '', damaged], path.join(dir, 'bad.mkv')));
    t.ok(!existsSync(path.join(dir, 'bad.mkv')) && !existsSync(path.join(dir, 'bad.mkv.part')));
  },
);
