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

t.test(
  'a clock that jumped by hours is taken out; a pause shorter than the run is kept',
  async (t) => {
    // The picture's clock jumps an hour after its 10th packet, as a simulcast switch
    // without a known capture time makes it (mediasoup 3.27).
    const jumped = path.join(dir, 'jumped-00000.mkv');
    execFileSync(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      segments[0] as string,
      '-map',
      '0',
      '-c',
      'copy',
      '-bsf:v',
      'setts=ts=if(gte(N\\,10)\\,PTS+3600/TB\\,PTS)',
      jumped,
    ]);
    t.ok((await probeMedia(ffmpeg, jumped)).duration > 3600, 'the segment lasts an hour');
    const mended = await joinSegments(ffmpeg, [jumped], path.join(dir, 'mended.mkv'), {
      recordedSeconds: 3,
    });
    t.equal(mended.clockJumps.length, 1, 'one jump taken out');
    t.match(mended.clockJumps[0], { packet: 10 }, 'past the 10th picture');
    t.ok(
      mended.seconds < 4,
      `the run's file lasts ${mended.seconds.toFixed(2)} s, as it was recorded`,
    );
    const pts = readPacketTimes(mended.file, mended.clockJumps[0]?.stream ?? -1);
    const steps = pts.slice(1).map((p, i) => p - (pts[i] ?? 0));
    t.ok(
      steps.every((s) => s > 0 && s < 0.2),
      'the picture goes on one frame after another',
    );

    // A run recorded for over an hour may well have an hour's pause: kept.
    const kept = await joinSegments(ffmpeg, [jumped], path.join(dir, 'kept.mkv'), {
      recordedSeconds: 3700,
    });
    t.same(kept.clockJumps, [], 'within the run, a hole is a pause');
    t.ok(kept.seconds > 3600);
  },
);

function readPacketTimes(file: string, stream: number): number[] {
  return execFileSync(path.join(path.dirname(ffmpeg), 'ffprobe'), [
    '-v',
    'error',
    '-select_streams',
    String(stream),
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .trim()
    .split('\n')
    .map(Number);
}
