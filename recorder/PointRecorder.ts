/**
 * Records one bridge point's RTP (audio + video in one file set) with ffmpeg into
 * Matroska segments, and hashes each segment the moment ffmpeg closes it. This is the
 * part that will run inside the recorder process; the mediasoup side (PlainTransport
 * consumers, created paused) lives with the session and resumes them only after
 * {@link PointRecorder.start} resolves — i.e. after ffmpeg is listening, so the first
 * keyframe is not sent into the void.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from '../common/logger.js';
import { EnhancedEventEmitter } from '../common/EnhancedEventEmitter.js';
import { RepeatLimiter } from '../common/RepeatLimiter.js';
import { sha256File } from '../common/sha256File.js';
import { segmentedRecordingArgs } from './ffmpegArgs.js';
import { PictureFlow, PROGRESS_PERIOD_SECONDS } from './PictureFlow.js';
import { matroskaHasMedia } from '../archive/matroska.js';
import { sendRtcpBye } from './rtcpBye.js';
import { type SdpTrack, buildRecordingSdp } from './sdp.js';
import type { ClosedSegment } from '../protocol/recorder.js';

export type { ClosedSegment } from '../protocol/recorder.js';

export interface PointRecorderOptions {
  ffmpeg: string;
  /** Directory for this point's segments (created 0700). */
  dir: string;
  /**
   * Directory for ffmpeg's working files (its SDP, its segment list), outside the
   * archive: the archive holds only what its manifest lists. Default: `dir`.
   */
  workDir?: string;
  /** File name stem, e.g. `ha-noi-camera`. */
  name: string;
  tracks: SdpTrack[];
  segmentSeconds: number;
  logger: Logger;
}

export type PointRecorderEvents = {
  segment: [ClosedSegment];
  died: [Error];
  /**
   * ffmpeg gave up on lost packets and drops the picture until the next keyframe. Its
   * SDP input cannot send the PLI itself (it opens its sockets read-only), so whoever
   * holds the consumers must ask the point. At most once per {@link BROKEN_PICTURE_GAP_MS}.
   */
  pictureBroken: [];
  /**
   * No video frame has reached ffmpeg since `since` (ms since the epoch): the point's
   * sender, or the layer the SFU forwards, has stopped (or ffmpeg is still probing its
   * streams). Runs with a picture only.
   */
  pictureQuiet: [since: number];
  /** Frames come in again after `pictureQuiet`. */
  pictureFlows: [];
};

const LISTEN_TIMEOUT_MS = 10_000;
/** How long ffmpeg gets to end on the RTCP BYE before it is signalled. */
const BYE_GRACE_MS = 1500;
/** The loss lines of ffmpeg's RTP reader (any codec) and of its VP8 depacketizer. */
const BROKEN_PICTURE =
  /RTP: missed \d+ packets|sequence broken|Keyframe missing|no start marker|Missed part of/;
export const BROKEN_PICTURE_GAP_MS = 500;
/** Socket buffer asked for: seconds of media at a point's bitrate. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class PointRecorder extends EnhancedEventEmitter<PointRecorderEvents> {
  readonly #o: PointRecorderOptions;
  readonly #listFile: string;
  readonly #segments: ClosedSegment[] = [];
  #child: ChildProcess | null = null;
  #listRead = 0;
  #watch: NodeJS.Timeout | null = null;
  #stopping = false;
  #lastBroken = 0;
  #brokenLinesUnlogged = 0;
  /** ffmpeg's warnings, a few of each kind a minute (it can print one per packet). */
  #ffmpegLines: RepeatLimiter | null = null;
  #ffmpegRtcpPorts: number[] = [];
  #picture: PictureFlow | null = null;

  constructor(options: PointRecorderOptions) {
    super((event, err) => options.logger.error({ err, event }, 'point recorder listener failed'));
    this.#o = options;
    this.#listFile = segmentListFile(options.workDir ?? options.dir, options.name);
  }

  /** Where ffmpeg takes RTCP: a BYE there ends it cleanly. */
  get ffmpegRtcpPorts(): readonly number[] {
    return this.#ffmpegRtcpPorts;
  }

  /** ffmpeg's process id, once started. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get segments(): readonly ClosedSegment[] {
    return this.#segments;
  }

  #onFfmpegLine(line: string, log: Logger): void {
    if (!BROKEN_PICTURE.test(line)) {
      this.#ffmpegLines ??= new RepeatLimiter(
        (text, held) =>
          held
            ? log.warn({ ffmpeg: text, repeated: held.count, seconds: held.seconds }, 'ffmpeg')
            : log.warn({ ffmpeg: text }, 'ffmpeg'),
        { perWindow: 5, windowMs: 60_000 },
      );
      this.#ffmpegLines.push(line);
      return;
    }
    // A broken picture prints a line per dropped packet: one request, one log line per gap.
    const now = Date.now();
    if (now - this.#lastBroken < BROKEN_PICTURE_GAP_MS) {
      this.#brokenLinesUnlogged++;
      return;
    }
    this.#lastBroken = now;
    log.warn(
      { ffmpeg: line, linesSinceLast: this.#brokenLinesUnlogged },
      'recorded picture broken by lost packets: asking the point for a keyframe',
    );
    this.#brokenLinesUnlogged = 0;
    this.safeEmit('pictureBroken');
  }

  /** Starts ffmpeg and resolves once it has bound every RTP and RTCP port. */
  async start(): Promise<void> {
    const { dir, name } = this.#o;
    const workDir = this.#o.workDir ?? dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    this.#ffmpegRtcpPorts = this.#o.tracks.map((t) => t.rtcpPort);
    const sdpFile = path.join(workDir, `${name}.sdp`);
    writeFileSync(sdpFile, buildRecordingSdp(this.#o.tracks), { mode: 0o600 });
    if (this.#o.tracks.some((t) => t.kind === 'video')) {
      try {
        this.#picture = await PictureFlow.open({
          quiet: (since) => this.safeEmit('pictureQuiet', since),
          flows: () => this.safeEmit('pictureFlows'),
          isOurs: (port) => udpPortsBoundBy(this.#child?.pid ?? -1).has(port),
        });
      } catch (err) {
        // The watch is lost, not the record: the server's layer watch and stall
        // keyframes then wait for mediasoup's own notice.
        this.#o.logger.warn({ err, recorder: name }, 'recording without its picture watch');
      }
    }
    const picture = this.#picture;
    const args = segmentedRecordingArgs({
      sdpFile,
      outputPattern: path.join(dir, `${name}-%05d.mkv`),
      segmentSeconds: this.#o.segmentSeconds,
      segmentListFile: this.#listFile,
      receiveBufferBytes: receiveBufferBytes(),
      ...(picture
        ? { progress: { url: picture.url, periodSeconds: PROGRESS_PERIOD_SECONDS } }
        : {}),
    });
    const child = spawn(this.#o.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    const log = this.#o.logger.child({ recorder: name, pid: child.pid });
    child.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        this.#onFfmpegLine(line, log);
      }
    });
    child.once('exit', (code, signal) => {
      picture?.close();
      this.#collectSegments();
      if (!this.#stopping) {
        this.safeEmit(
          'died',
          new Error(`ffmpeg exited (${code ?? signal}) while recording ${name}`),
        );
      }
    });
    const ports = this.#o.tracks.flatMap((t) => [t.port, t.rtcpPort]);
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    for (;;) {
      // Read-only look at the kernel's tables, for ffmpeg's own sockets: binding the
      // port ourselves to test it could steal it from ffmpeg in the same instant.
      const bound = udpPortsBoundBy(child.pid ?? -1);
      if (ports.every((p) => bound.has(p))) {
        break;
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        picture?.close();
        child.kill('SIGKILL');
        throw new Error(`ffmpeg did not start listening for ${name}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    this.#watch = setInterval(() => this.#collectSegments(), 250);
  }

  /** Stops ffmpeg cleanly (the last segment is finished and hashed). */
  async stop(): Promise<readonly ClosedSegment[]> {
    this.#stopping = true;
    // A picture that stops because the run ends is not news.
    this.#picture?.mute();
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A BYE on every stream: ffmpeg ends its input, flushes and writes the trailer.
      await sendRtcpBye(this.#ffmpegRtcpPorts);
      // Signals only if that did not work. One SIGINT ends ffmpeg at its next packet;
      // starved of packets it waits in its read, which only a second SIGINT breaks (the
      // segment then has no index; the data is all on disk).
      const timers = [
        setTimeout(() => child.kill('SIGINT'), BYE_GRACE_MS),
        setTimeout(() => child.kill('SIGINT'), BYE_GRACE_MS + 500),
        setTimeout(() => child.kill('SIGKILL'), BYE_GRACE_MS + 3000),
      ];
      await exited;
      timers.forEach(clearTimeout);
    }
    if (this.#watch) {
      clearInterval(this.#watch);
      this.#watch = null;
    }
    this.#collectSegments();
    await this.#hashPending();
    this.#ffmpegLines?.flush(true);
    this.#removeEmptySegments();
    return this.#segments;
  }

  /**
   * ffmpeg opens the next segment file at a cut; stopped before writing to it, it leaves
   * an empty file it never lists. Empty, it holds no recording: removing it keeps the
   * archive equal to its manifest. Any unlisted file with content is kept.
   */
  #removeEmptySegments(): void {
    const listed = new Set(this.#segments.map((s) => path.basename(s.file)));
    const prefix = `${this.#o.name}-`;
    for (const name of readdirSync(this.#o.dir)) {
      if (name.startsWith(prefix) && name.endsWith('.mkv') && !listed.has(name)) {
        const full = path.join(this.#o.dir, name);
        if (statSync(full).size === 0) {
          unlinkSync(full);
        }
      }
    }
  }

  #pending: Promise<void> = Promise.resolve();

  /** Reads the lines ffmpeg appended to the segment list since last time. */
  #collectSegments(): void {
    if (!existsSync(this.#listFile)) {
      return;
    }
    const text = readFileSync(this.#listFile, 'utf8');
    const fresh = text.slice(this.#listRead);
    const complete = fresh.slice(0, fresh.lastIndexOf('\n') + 1);
    this.#listRead += complete.length;
    for (const entry of segmentListEntries(complete, this.#o.dir)) {
      this.#pending = this.#pending.then(async () => {
        const segment = await hashSegment(entry);
        // Opened as a player would, now: an empty or broken segment is reported while
        // the session is live, not found at the end.
        segment.readable = segment.bytes > 0 && matroskaHasMedia(entry.file);
        this.#segments.push(segment);
        this.safeEmit('segment', segment);
      });
    }
  }

  async #hashPending(): Promise<void> {
    await this.#pending;
  }
}

/** Where ffmpeg lists a run's closed segments (`file,start,end` per line). */
export function segmentListFile(dir: string, name: string): string {
  return path.join(dir, `${name}.segments.csv`);
}

/** The complete lines of a segment list, each file resolved inside `dir`. */
export function segmentListEntries(
  text: string,
  dir: string,
): { file: string; start: number; end: number }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(','))
    .filter(([file]) => file !== undefined && file !== '')
    .map(([file, start, end]) => ({
      file: path.join(dir, path.basename(file ?? '')),
      start: Number(start),
      end: Number(end),
    }));
}

/** A closed segment: its size and SHA-256, with ffmpeg's times. */
export async function hashSegment(entry: {
  file: string;
  start: number;
  end: number;
}): Promise<ClosedSegment> {
  return {
    file: entry.file,
    bytes: statSync(entry.file).size,
    sha256: await sha256File(entry.file),
    start: entry.start,
    end: entry.end,
  };
}

/** Local UDP ports bound by one process: its socket inodes matched in /proc/net. */
function udpPortsBoundBy(pid: number): Set<number> {
  const ports = new Set<number>();
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return ports;
  }
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    if (!existsSync(table)) {
      continue;
    }
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = fields[1]?.split(':')[1];
      if (port && inodes.has(fields[9] ?? '')) {
        ports.add(parseInt(port, 16));
      }
    }
  }
  return ports;
}

/** The socket buffer to ask for: 4 MiB, or the kernel's cap if lower (no warning then). */
function receiveBufferBytes(): number {
  try {
    const cap = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
    return Number.isFinite(cap) && cap > 0
      ? Math.min(cap, RECEIVE_BUFFER_BYTES)
      : RECEIVE_BUFFER_BYTES;
  } catch {
    return RECEIVE_BUFFER_BYTES;
  }
}
