import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';

const ffmpeg = (): string => resolveFfmpeg(null).path;
const ffprobe = (): string => path.join(path.dirname(ffmpeg()), 'ffprobe');

/**
 * A pre-encoded clip for synthetic points: test pattern in VP8 (a keyframe every `gop`
 * frames at 25 fps) and a 440 Hz tone in Opus, in WebM.
 */
export function makeTestClip(
  file: string,
  o: { size: string; videoBitrate: string; gop: number; seconds: number },
): void {
  execFileSync(ffmpeg(), [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.size}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(o.seconds),
    '-c:v',
    'libvpx',
    '-b:v',
    o.videoBitrate,
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-g',
    String(o.gop),
    '-c:a',
    'libopus',
    '-b:a',
    '32k',
    '-ac',
    '2',
    file,
  ]);
}

/** The codec names of a media file's streams, e.g. `['opus', 'vp8']`. */
export function streamCodecs(file: string): string[] {
  return execFileSync(ffprobe(), [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Timestamps (s) of a file's first and last packets, as read up to any damage. */
export function packetSpan(file: string): { first: number; last: number } {
  const times = execFileSync(ffprobe(), [
    '-v',
    'error',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .split('\n')
    .map((l) => Number(l.trim().replace(/,$/, '')))
    .filter((n) => Number.isFinite(n));
  return { first: Math.min(...times), last: Math.max(...times) };
}

/** Mean brightness (Y, 0–255) of a region of the frame at `at` s; crop as ffmpeg's `crop`. */
export function brightness(file: string, at: number, crop = 'iw:ih:0:0'): number {
  const { stderr } = spawnSync(
    ffmpeg(),
    [
      '-hide_banner',
      '-ss',
      String(at),
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      `crop=${crop},signalstats,metadata=print:key=lavfi.signalstats.YAVG`,
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  return Number(/lavfi\.signalstats\.YAVG=([\d.]+)/.exec(stderr)?.[1] ?? NaN);
}

/** A file's video packets (the first `limit` of them): time (s, the file's own clock), keyframe. */
export function videoPackets(file: string, limit?: number): { pts: number; keyframe: boolean }[] {
  return execFileSync(ffprobe(), [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'packet=pts_time,flags',
    ...(limit === undefined ? [] : ['-read_intervals', `%+#${limit}`]),
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pts = '', flags = ''] = line.split(',');
      return { pts: Number(pts), keyframe: flags.includes('K') };
    })
    .filter((p) => Number.isFinite(p.pts));
}

/** A file's first video packet. */
export function firstVideoPacket(file: string): { pts: number; keyframe: boolean } {
  return videoPackets(file, 1)[0] ?? { pts: NaN, keyframe: false };
}

/** Whether a file's first video packet is a keyframe. */
export function startsWithKeyframe(file: string): boolean {
  return firstVideoPacket(file).keyframe;
}

/** Times (s, the file's own clock) of a file's video keyframes. */
export function keyframeTimes(file: string): number[] {
  return videoPackets(file)
    .filter((p) => p.keyframe)
    .map((p) => p.pts);
}

/**
 * A mono 48 kHz PCM WAV made once from an ffmpeg audio source (`aevalsrc=…`,
 * `anullsrc=…`), for a fake microphone (`--use-file-for-fake-audio-capture`); written
 * beside and renamed, so a file that exists is whole. `seconds` bounds an endless source.
 */
export function lavfiWav(file: string, source: string, seconds?: number): string {
  if (!existsSync(file)) {
    const partial = `${file}.partial.wav`;
    execFileSync(ffmpeg(), [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      source,
      ...(seconds === undefined ? [] : ['-t', String(seconds)]),
      '-ac',
      '1',
      '-ar',
      '48000',
      '-c:a',
      'pcm_s16le',
      partial,
    ]);
    renameSync(partial, file);
  }
  return file;
}
