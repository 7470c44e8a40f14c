/** What ffmpeg itself says of a media file (no ffprobe: ffmpeg-static ships without it). */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface MediaProbe {
  /** Seconds of the first packet. */
  start: number;
  /** Seconds from the first packet to the end. */
  duration: number;
  video: boolean;
  audio: boolean;
}

export async function probeMedia(ffmpeg: string, file: string): Promise<MediaProbe> {
  const { stderr } = await runFfmpeg(ffmpeg, ['-hide_banner', '-nostdin', '-i', file], true);
  const m = /Duration: (?:(\d+):(\d+):([\d.]+)|N\/A), start: (-?[\d.]+)/.exec(stderr);
  if (!m) {
    throw new Error(`${path.basename(file)}: ffmpeg cannot read it`);
  }
  const start = Number(m[4]);
  // A segment ended without its index (a crash, a starved ffmpeg) says N/A: read it.
  const end =
    m[1] === undefined
      ? await lastTimestamp(ffmpeg, file)
      : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return {
    start,
    // Matroska's duration is its end time; the span is from the first packet.
    duration: Math.max(0, end - Math.max(0, start)),
    video: /Stream #\d+:\d+.*: Video:/.test(stderr),
    audio: /Stream #\d+:\d+.*: Audio:/.test(stderr),
  };
}

/** The end time (s) of a file without a duration, from reading all its packets. */
async function lastTimestamp(ffmpeg: string, file: string): Promise<number> {
  const { stdout } = await runFfmpeg(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-copyts',
    '-i',
    file,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    'framecrc',
    '-',
  ]);
  let end = 0;
  const bases = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) {
      bases.set(tb[1] ?? '', Number(tb[2]) / Number(tb[3]));
      continue;
    }
    const f = line.split(',').map((x) => x.trim());
    if (f.length >= 4 && !line.startsWith('#')) {
      const unit = bases.get(f[0] ?? '') ?? 0;
      end = Math.max(end, (Number(f[2]) + Number(f[3])) * unit);
    }
  }
  return end;
}

export async function mediaSpan(
  ffmpeg: string,
  file: string,
): Promise<{ start: number; duration: number }> {
  const { start, duration } = await probeMedia(ffmpeg, file);
  return { start, duration };
}

export function runFfmpeg(
  bin: string,
  args: string[],
  allowFailure = false,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code !== 0 && !allowFailure) {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`ffmpeg exited ${code}: ${tail}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}
