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
  const m = /Duration: (\d+):(\d+):([\d.]+), start: (-?[\d.]+)/.exec(stderr);
  if (!m) {
    throw new Error(`${path.basename(file)}: ffmpeg cannot read it`);
  }
  const start = Number(m[4]);
  // Matroska's duration is its end time; the span is from the first packet.
  const end = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return {
    start,
    duration: Math.max(0, end - Math.max(0, start)),
    video: /Stream #\d+:\d+.*: Video:/.test(stderr),
    audio: /Stream #\d+:\d+.*: Audio:/.test(stderr),
  };
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
