/**
 * At session end, one recording run's Matroska segments become one file, without
 * transcoding. The joined file replaces the segments only once it is proven to hold
 * exactly their packets: every stream's packets, in order, with the same sizes and MD5s
 * (ffmpeg's framemd5 over a codec copy), and the same span of time.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { readMatroskaIndex } from './matroska.js';
import { sha256File } from '../common/sha256File.js';
import { type Packet, probeMedia, readPackets, runFfmpeg as run } from './probe.js';
import type { JoinedRun } from '../protocol/recorder.js';

export type { JoinedRun } from '../protocol/recorder.js';

export interface JoinOptions {
  /**
   * How long the run was recorded, by the wall clock (its timeline). No stream of its
   * file can have a hole longer than that: a longer one is its clock jumping.
   */
  recordedSeconds?: number;
}

/** Beyond the run's recorded length, a jump is taken for a clock's, not for a pause. */
const CLOCK_SLACK_SECONDS = 10;

interface ClockRepair {
  stream: number;
  /** The first packet (in its stream's order) past the jump. */
  packet: number;
  /** How far the stream's clock jumped, less its usual step. */
  seconds: number;
}

/**
 * A stream's clock jumping by more than the whole run lasted: mediasoup 3.27's simulcast
 * consumer, switching layer before the first one's capture times are known, passes the
 * new layer's RTP timestamps untouched, and the recorded picture lands hours away (seen:
 * 3 and 6 h), a picture or two into a point's recording. Each such jump is taken out:
 * the stream goes on one usual step after its last packet. Pauses (shorter than the run,
 * as they must be) are kept as they are.
 */
export function clockRepairs(packets: readonly Packet[], recordedSeconds: number): ClockRepair[] {
  const limit = recordedSeconds + CLOCK_SLACK_SECONDS;
  const byStream = new Map<number, Packet[]>();
  for (const p of packets) {
    byStream.set(p.stream, [...(byStream.get(p.stream) ?? []), p]);
  }
  const repairs: ClockRepair[] = [];
  for (const [stream, list] of byStream) {
    const steps = list
      .slice(1)
      .map((p, i) => p.pts - (list[i] as Packet).pts)
      .filter((d) => d > 0 && d < 1)
      .sort((a, b) => a - b);
    const step = steps[Math.floor(steps.length / 2)] ?? 0.02;
    list.forEach((p, i) => {
      const before = list[i - 1];
      const jump = before === undefined ? 0 : p.pts - before.pts;
      if (Math.abs(jump) > limit) {
        repairs.push({ stream, packet: i, seconds: jump - step });
      }
    });
  }
  return repairs;
}

/** Rewrites the streams' timestamps in place (codec copy), each jump taken out. */
async function rewriteClocks(
  ffmpeg: string,
  file: string,
  repairs: readonly ClockRepair[],
): Promise<void> {
  const streams = [...new Set(repairs.map((r) => r.stream))];
  const bsf = streams.flatMap((stream) => {
    const terms = repairs
      .filter((r) => r.stream === stream)
      .map((r) => `if(gte(N\\,${r.packet})\\,${r.seconds.toFixed(6)}/TB\\,0)`);
    return [`-bsf:${stream}`, `setts=ts=PTS-(${terms.join('+')})`];
  });
  const mended = `${file}.mended`;
  try {
    await run(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-y',
      '-i',
      file,
      '-map',
      '0',
      '-c',
      'copy',
      ...bsf,
      '-f',
      'matroska',
      mended,
    ]);
    renameSync(mended, file);
  } finally {
    rmSync(mended, { force: true });
  }
}

/**
 * Joins `segments` (full paths, in order) into `output`, verified; the segments stay.
 * One segment is remuxed too: the last segment of a run is often cut off before its
 * trailer (its point left first), and only a rewrite gives it a duration and cues.
 */
export async function joinSegments(
  ffmpeg: string,
  segments: readonly string[],
  output: string,
  options: JoinOptions = {},
): Promise<JoinedRun> {
  if (segments.length === 0) {
    throw new Error('nothing to join');
  }
  const starts = await Promise.all(segments.map((s) => probeMedia(ffmpeg, s)));
  const dir = path.dirname(output);
  const list = `${output}.ffconcat`;
  const partial = `${output}.part`;
  // Segments keep their place in time (`-reset_timestamps 0`): each one's concat
  // duration is the distance to the next one's start, so no gap or overlap is made up.
  const lines = ['ffconcat version 1.0'];
  for (const [i, segment] of segments.entries()) {
    lines.push(`file '${path.relative(dir, segment).replace(/'/g, "'\\''")}'`);
    const next = starts[i + 1];
    const here = starts[i];
    if (next && here) {
      lines.push(`duration ${(next.start - here.start).toFixed(6)}`);
    }
  }
  writeFileSync(list, `${lines.join('\n')}\n`, { mode: 0o600 });
  try {
    await run(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-map',
      '0',
      '-c',
      'copy',
      '-f',
      'matroska',
      partial,
    ]);
    const repairs =
      options.recordedSeconds === undefined
        ? []
        : clockRepairs(await readPackets(ffmpeg, partial), options.recordedSeconds);
    if (repairs.length > 0) {
      await rewriteClocks(ffmpeg, partial, repairs);
    }
    const fd = openSync(partial, 'r');
    fsyncSync(fd);
    closeSync(fd);
    const expected: string[][] = [];
    for (const segment of segments) {
      const streams = await packetDigests(ffmpeg, segment);
      streams.forEach((packets, i) => (expected[i] ??= []).push(...packets));
    }
    const actual = await packetDigests(ffmpeg, partial);
    const packets = expected.reduce((n, s) => n + s.length, 0);
    if (
      actual.length !== expected.length ||
      actual.some((s, i) => s.join('\n') !== (expected[i] ?? []).join('\n'))
    ) {
      throw new Error(
        `joined file of ${path.basename(output)} does not hold exactly the segments' packets`,
      );
    }
    const first = starts[0];
    const last = starts[starts.length - 1];
    const joined = await probeMedia(ffmpeg, partial);
    // It reaches into the last segment, and is no longer than the segments end to end
    // (a segment cut short by a crash may claim more than it holds, never less).
    const reach = last && first ? last.start - first.start : 0;
    const span = reach + (last?.duration ?? 0);
    const wrong =
      repairs.length > 0
        ? // Mended: no longer than the run was recorded.
          joined.duration > (options.recordedSeconds ?? 0) + CLOCK_SLACK_SECONDS
        : joined.duration < reach || joined.duration > span + 0.5;
    if (wrong) {
      throw new Error(
        `joined file of ${path.basename(output)} lasts ${joined.duration.toFixed(3)} s, the segments ${reach.toFixed(3)}–${span.toFixed(3)} s`,
      );
    }
    // What a player needs to show the length and seek (written by the muxer's trailer).
    const index = readMatroskaIndex(partial);
    if (index.durationSeconds === null || !index.cues) {
      throw new Error(`joined file of ${path.basename(output)} has no duration or no seek index`);
    }
    renameSync(partial, output);
    return {
      file: output,
      bytes: statSync(output).size,
      sha256: await sha256File(output),
      packets,
      seconds: joined.duration,
      clockJumps: repairs.map((r) => ({
        stream: r.stream,
        packet: r.packet,
        seconds: Math.round(r.seconds * 1000) / 1000,
      })),
    };
  } finally {
    rmSync(list, { force: true });
    rmSync(partial, { force: true });
  }
}

/** Per stream, each packet's `size,md5` in order. */
async function packetDigests(ffmpeg: string, file: string): Promise<string[][]> {
  const streams: string[][] = [];
  for (const p of await readPackets(ffmpeg, file)) {
    (streams[p.stream] ??= []).push(`${p.size},${p.md5}`);
  }
  return streams;
}
