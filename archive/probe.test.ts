import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { makeTestClip } from '../test/helpers/media.js';
import { resolveFfmpeg } from './ffmpegBinary.js';
import { probeMedia } from './probe.js';

// What ffmpeg says of a file, including one whose writer was killed before it wrote its
// index (no duration in the header): its span is read from its packets.
const ffmpeg = resolveFfmpeg(null).path;
const dir = tempDir('probe');
const clip = path.join(dir, 'clip.webm');
makeTestClip(clip, { size: '320x180', videoBitrate: '200k', gop: 25, seconds: 6 });

t.test('a finished file: streams and span', async (t) => {
  const p = await probeMedia(ffmpeg, clip);
  t.ok(p.video && p.audio);
  t.ok(Math.abs(p.duration - 6) < 0.2, `${p.duration} s`);
});

t.test('a file cut by SIGKILL: its span from its packets', async (t) => {
  const cut = path.join(dir, 'cut.mkv');
  // Encoded live, as from RTP: the writer knows no duration in advance.
  const child = spawn(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x180:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=sample_rate=48000',
    '-c:v',
    'libvpx',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-c:a',
    'libopus',
    '-flush_packets',
    '1',
    '-cluster_time_limit',
    '500',
    '-f',
    'matroska',
    cut,
  ]);
  await new Promise((r) => setTimeout(r, 2500));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const p = await probeMedia(ffmpeg, cut);
  t.ok(p.video && p.audio, 'streams known');
  t.ok(p.duration > 1 && p.duration < 3, `reads ${p.duration.toFixed(2)} s of the 2.5 s written`);
  await t.rejects(probeMedia(ffmpeg, path.join(dir, 'missing.mkv')), /cannot read/);
});
