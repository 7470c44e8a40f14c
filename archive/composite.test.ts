import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { brightness, makeTestClip, streamCodecs } from '../test/helpers/media.js';
import { defaultFontFile, gridOf, renderComposite } from './composite.js';
import { resolveFfmpeg } from './ffmpegBinary.js';
import { probeMedia } from './probe.js';

// Two points' files, the second joining 3 s late, become one MP4 grid at their
// wall-clock places: H.264 + AAC, the index first, progress reported on the way.
const ffmpeg = resolveFfmpeg(null).path;
const dir = tempDir('composite');
const a = path.join(dir, 'a.mkv');
const b = path.join(dir, 'b.mkv');
makeTestClip(a, { size: '320x180', videoBitrate: '200k', gop: 25, seconds: 8 });
makeTestClip(b, { size: '320x180', videoBitrate: '200k', gop: 25, seconds: 4 });

const rightHalfBrightness = (file: string, at: number): number =>
  brightness(file, at, 'iw/2:ih:iw/2:0');

t.test('a grid record of the session, playable everywhere', async (t) => {
  t.same(gridOf(1), { cols: 1, rows: 1 });
  t.same(gridOf(4), { cols: 2, rows: 2 });
  t.same(gridOf(7), { cols: 3, rows: 3 });
  t.same(gridOf(11), { cols: 4, rows: 3 });
  const output = path.join(dir, 'composite.mp4');
  const progress: number[] = [];
  const result = await renderComposite({
    ffmpeg,
    cells: [
      {
        label: 'Hà Nội — điểm cầu trung tâm',
        runs: [{ file: a, offset: 0, video: true, audio: true }],
      },
      { label: "Quảng Ninh 'tỉnh'", runs: [{ file: b, offset: 3, video: true, audio: true }] },
    ],
    origin: new Date('2026-11-28T09:00:00+07:00'),
    seconds: 8,
    output,
    fontFile: defaultFontFile(),
    width: 640,
    onProgress: (f) => progress.push(f),
  });
  t.ok(defaultFontFile(), 'a font with Vietnamese glyphs is installed');
  t.same(streamCodecs(output).sort(), ['aac', 'h264']);
  const span = await probeMedia(ffmpeg, output);
  t.ok(Math.abs(span.duration - 8) < 0.2, `lasts ${span.duration} s`);
  const bytes = readFileSync(output);
  t.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'faststart: the index comes first');
  t.ok(progress.length >= 2 && (progress[progress.length - 1] ?? 0) > 0.9, 'progress reported');
  t.ok(result.speed > 0, `${result.speed.toFixed(1)}× real time`);
  // The late point's cell is empty before it joined, and shows its picture after.
  const before = rightHalfBrightness(output, 1.5);
  const after = rightHalfBrightness(output, 5);
  t.ok(before < 60, `empty cell before the point joined (brightness ${before})`);
  t.ok(after > before + 30, `its picture once it joined (brightness ${after})`);
  t.match(result.sha256, /^[0-9a-f]{64}$/);
});

t.test(
  'a composite that fails leaves the per-point files as they were, and nothing half-made',
  async (t) => {
    const before = readFileSync(a);
    const output = path.join(dir, 'failed.mp4');
    await t.rejects(
      renderComposite({
        ffmpeg,
        cells: [
          { label: 'A', runs: [{ file: a, offset: 0, video: true, audio: true }] },
          {
            label: 'B',
            runs: [{ file: path.join(dir, 'missing.mkv'), offset: 1, video: true, audio: true }],
          },
        ],
        origin: new Date(),
        seconds: 4,
        output,
        fontFile: defaultFontFile(),
        width: 640,
      }),
      /composite ffmpeg exited/,
    );
    t.ok(readFileSync(a).equals(before), 'the point file is untouched');
    t.notOk(existsSync(output) || existsSync(`${output}.part`), 'no composite, no partial file');
  },
);
