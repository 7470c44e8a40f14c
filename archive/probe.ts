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
  const packets = await readPackets(ffmpeg, file);
  return packets.reduce((end, p) => Math.max(end, p.pts + p.duration), 0);
}

export interface Packet {
  stream: number;
  /** Seconds, as stored in the file. */
  pts: number;
  duration: number;
  size: number;
  md5: string;
}

/** Every packet of a file, in file order, read by codec copy (ffmpeg's framemd5). */
export async function readPackets(ffmpeg: string, file: string): Promise<Packet[]> {
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
    'framemd5',
    '-',
  ]);
  const timeBases = new Map<number, number>();
  const packets: Packet[] = [];
  for (const line of stdout.split('\n')) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) {
      timeBases.set(Number(tb[1]), Number(tb[2]) / Number(tb[3]));
      continue;
    }
    const f = line.split(',').map((x) => x.trim());
    if (line.startsWith('#') || f.length < 6) {
      continue;
    }
    const stream = Number(f[0]);
    const unit = timeBases.get(stream) ?? 0;
    packets.push({
      stream,
      pts: Number(f[2]) * unit,
      duration: Number(f[3]) * unit,
      size: Number(f[4]),
      md5: f[5] ?? '',
    });
  }
  return packets;
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
