/**
 * Records every bridge point of one live session: for each point, its microphone and
 * camera go into one set of Matroska segments, its screen into another. Consumers are
 * created paused towards the recorder's ffmpeg and resumed only once ffmpeg listens; a
 * keyframe is asked for at once. A point's recording restarts by itself when it
 * publishes anew (rejoin, new producer, media moved after a worker death), when its
 * ffmpeg dies, or when the recorder process is restarted; the gap is written into the
 * timeline (and so the audit log) and what the dead run wrote is hashed in as well.
 * Each closed segment, hashed, is added to the archive's manifest.json at once. When
 * the session ends, each run's segments are joined into one verified file
 * (archive/finalizeArchive.ts).
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import {
  type ClosedSegment,
  hashSegment,
  segmentListEntries,
  segmentListFile,
} from '../../recorder/PointRecorder.js';
import { sha256File } from '../../common/sha256File.js';
import {
  type Manifest,
  type ManifestFile,
  readManifest,
  writeManifest,
} from '../../archive/manifest.js';
import { probeMedia } from '../../archive/probe.js';
import type { RecorderMessage } from '../../protocol/recorder.js';
import { type SdpTrack, sdpTrackOf } from '../../recorder/sdp.js';
import { archiveDirOf, workDirOf } from '../../archive/archivePaths.js';
import { errors } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Room } from '../sfu/Room.js';
import { freeUdpPorts } from '../../common/portFree.js';
import type { DiskMonitor } from './DiskMonitor.js';
import { finishOrphan } from './finishOrphan.js';
import { KeyframeRequester } from './KeyframeRequester.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';
import type { RecordingProblemKind, RecordingProblems } from './RecordingProblems.js';

type Group = 'av' | 'screen';

/** One run: one ffmpeg recording one point's group from start to stop (or death). */
interface Run {
  key: string;
  pointId: string;
  group: Group;
  consumers: types.Consumer[];
  /** Wall clock of ffmpeg's time zero: the moment media was let flow to it. */
  startedAt: Date;
  name: string;
  ffmpegPid: number | null;
  /** Where its ffmpeg takes RTCP: a BYE there ends it cleanly. */
  rtcpPorts: readonly number[];
  /** Being stopped: its last segments still arrive, its consumers' closing is expected. */
  stopping: boolean;
  /** Wall-clock end of the last file of this run seen so far. */
  lastEnd: Date;
}

export interface SessionRecorderOptions {
  dataDir: string;
  segmentSeconds: number;
  autoStart: boolean;
  logger: Logger;
  disk: DiskMonitor | null;
  /** Where what goes wrong is reported (log, /healthz, /metrics). */
  problems?: RecordingProblems;
}

const RESTART_DEBOUNCE_MS = 300;
/** A run that could not start is tried again after 1 s, then 2, 4, … up to 10 s. */
const START_RETRY_MS = 1000;
const START_RETRY_MAX_MS = 10_000;

export class SessionRecorder {
  readonly #room: Room;
  readonly #supervisor: RecorderSupervisor;
  readonly #o: SessionRecorderOptions;
  readonly #archive: string;
  readonly #media: string;
  readonly #work: string;
  readonly #log: Logger;
  readonly #recordings = new Map<string, Run>();
  /** Every run of this recorder by name, ended ones too: late segments find theirs. */
  readonly #runs = new Map<string, Run>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #files: ManifestFile[];
  /** File names already in (or being hashed into) the manifest. */
  readonly #known = new Set<string>();
  /** Events of the same session from before this room (an earlier sitting). */
  readonly #earlierEvents: Manifest['events'];
  /** Open gaps by key: since when, and why. */
  readonly #gaps = new Map<string, { since: number; reason: string }>();
  readonly #off: (() => void)[] = [];
  readonly #keyframes: KeyframeRequester;
  readonly #startAttempts = new Map<string, number>();
  readonly #retries = new Set<NodeJS.Timeout>();
  /** Recording was stopped by the disk alarm (not by a person): it resumes with space. */
  #stoppedByAlarm = false;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(room: Room, supervisor: RecorderSupervisor, options: SessionRecorderOptions) {
    this.#room = room;
    this.#supervisor = supervisor;
    this.#o = options;
    this.#archive = archiveDirOf(options.dataDir, room.session.id);
    this.#media = path.join(this.#archive, 'media');
    this.#work = workDirOf(options.dataDir, room.session.id);
    this.#log = options.logger.child({ sessionId: room.session.id, component: 'session-recorder' });
    // A session that sits again (everyone had left) keeps its archive: files and events.
    const earlier = readManifestSafely(this.#archive, this.#log);
    this.#files = earlier?.files.filter((f) => f.kind !== 'composite') ?? [];
    this.#earlierEvents = earlier?.events ?? [];
    for (const f of this.#files) {
      this.#known.add(path.basename(f.file));
    }
    room.recordingControl = (enabled, by) => this.setEnabled(enabled, by);
    if (options.autoStart && !room.session.recording) {
      if (options.disk?.health().low) {
        this.#stoppedByAlarm = true;
        room.session.record('recording-alarm', {
          detail: { reason: 'disk-low', freeBytes: options.disk.health().freeBytes },
        });
      } else {
        room.session.recording = true;
        room.session.record('recording-enabled', { detail: { auto: true } });
      }
    }
    room.on('newproducer', (pointId, producer) => {
      this.#schedule(pointId, groupOf(producer));
    });
    this.#listen(supervisor, 'message', (message) => this.#onRecorderMessage(message));
    this.#listen(supervisor, 'recorderdied', () => this.#onRecorderDied());
    this.#listen(supervisor, 'recorderup', (_pid, restart) => {
      if (restart) {
        for (const r of this.#recordings.values()) {
          this.#schedule(r.pointId, r.group);
        }
      }
    });
    if (options.disk) {
      this.#listen(options.disk, 'low', () => {
        this.#onDiskLow().catch((err: unknown) =>
          this.#log.error({ err }, 'stopping the recording on low disk failed'),
        );
      });
      this.#listen(options.disk, 'ok', () => {
        if (this.#stoppedByAlarm && !this.#closed) {
          this.#stoppedByAlarm = false;
          void this.setEnabled(true, 'recorder').catch(() => undefined);
        }
      });
    }
    for (const peer of room.peers.values()) {
      for (const producer of peer.producers.values()) {
        this.#schedule(peer.pointId, groupOf(producer));
      }
    }
    this.#keyframes = new KeyframeRequester(
      () => [...this.#recordings.values()].flatMap((r) => r.consumers),
      options.segmentSeconds,
      this.#log,
    );
  }

  get archiveDir(): string {
    return this.#archive;
  }

  /** The runs' working files; removed once the session's runs are joined. */
  get workDir(): string {
    return this.#work;
  }

  /** The operator's or host's switch; every point is told the recording state. */
  async setEnabled(enabled: boolean, by: string): Promise<void> {
    const session = this.#room.session;
    if (enabled && this.#o.disk?.health().low) {
      const free = Math.floor((this.#o.disk.health().freeBytes ?? 0) / 1048576);
      throw new errors.DISK_LOW(`${free} MiB free`);
    }
    if (session.recording === enabled || this.#closed) {
      return;
    }
    session.recording = enabled;
    session.record(enabled ? 'recording-enabled' : 'recording-disabled', { by });
    this.#room.broadcast('recordingState', { recording: enabled, by });
    if (enabled) {
      for (const peer of this.#room.peers.values()) {
        for (const producer of peer.producers.values()) {
          this.#schedule(peer.pointId, groupOf(producer));
        }
      }
    } else {
      await this.#stopAll();
    }
  }

  /**
   * Stops every point's recording; their last segments are hashed into the manifest.
   * Joining the segments (archive/finalizeArchive.ts) comes after, and may take a while.
   */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#keyframes.close();
    this.#retries.forEach(clearTimeout);
    this.#retries.clear();
    await this.#stopAll();
    for (const off of this.#off) {
      off();
    }
  }

  #listen<E extends { on: (...a: never[]) => unknown; off: (...a: never[]) => unknown }>(
    emitter: E,
    event: string,
    handler: (...args: never[]) => void,
  ): void {
    const e = emitter as unknown as {
      on: (n: string, h: (...a: never[]) => void) => void;
      off: (n: string, h: (...a: never[]) => void) => void;
    };
    e.on(event, handler);
    this.#off.push(() => e.off(event, handler));
  }

  /** Cancels pending starts and stops every point's recording, last segments included. */
  async #stopAll(): Promise<void> {
    for (const timer of this.#timers.values()) {
      clearTimeout(timer);
    }
    this.#timers.clear();
    await this.#enqueue(async () => {
      for (const recording of [...this.#recordings.values()]) {
        await this.#stop(recording);
      }
    });
  }

  #schedule(pointId: string, group: Group): void {
    if (this.#closed || !this.#room.session.recording) {
      return;
    }
    const key = this.#key(pointId, group);
    clearTimeout(this.#timers.get(key));
    // A point publishing mic and camera a few ms apart is started once, with both.
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        void this.#enqueue(() => this.#restart(pointId, group));
      }, RESTART_DEBOUNCE_MS),
    );
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'recording step failed');
    });
    return this.#queue;
  }

  async #restart(pointId: string, group: Group): Promise<void> {
    const key = this.#key(pointId, group);
    const previous = this.#recordings.get(key);
    if (previous) {
      await this.#stop(previous);
    }
    if (this.#closed || !this.#room.session.recording) {
      return;
    }
    const producers = this.#producersOf(pointId, group);
    if (producers.length === 0) {
      return;
    }
    const consumers: types.Consumer[] = [];
    const tracks: SdpTrack[] = [];
    try {
      const base = await freeUdpPorts(producers.length * 2);
      for (const [i, producer] of producers.entries()) {
        const port = base + i * 2;
        const consumer = await this.#room.recordingConsumer(producer.id, port, port + 1);
        consumers.push(consumer);
        tracks.push(sdpTrackOf(consumer, port, port + 1));
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const name = `${pointId}-${group}-${stamp}`;
      const started = await this.#supervisor.request({
        type: 'startPoint',
        key,
        dir: this.#media,
        workDir: this.#work,
        name,
        tracks,
        segmentSeconds: this.#o.segmentSeconds,
      });
      // ffmpeg listens now: only now may media flow, starting with a keyframe. Its
      // time zero is the first packet, i.e. now: the files' wall clock counts from here.
      const startedAt = new Date();
      for (const consumer of consumers) {
        await consumer.resume();
        if (consumer.kind === 'video') {
          await consumer.requestKeyFrame();
        }
      }
      const recording: Run = {
        key,
        pointId,
        group,
        consumers,
        startedAt,
        name,
        ffmpegPid: started.pid,
        rtcpPorts: started.rtcpPorts,
        stopping: false,
        lastEnd: startedAt,
      };
      this.#recordings.set(key, recording);
      this.#runs.set(name, recording);
      for (const consumer of consumers) {
        // The producer went (left, replaced, worker lost): follow what the point sends now.
        consumer.observer.once('close', () => {
          if (this.#recordings.get(key) === recording && !recording.stopping) {
            this.#schedule(pointId, group);
          }
        });
      }
      this.#room.session.record('recording-started', {
        pointId,
        detail: {
          kind: group,
          name,
          // What it records, and which of it the point holds paused: when all of it is,
          // the point sends nothing and nothing is missing from the record.
          sources: producers.map((p) => sourceOf(p)),
          paused: producers.filter((p) => p.paused).map((p) => sourceOf(p)),
        },
      });
      const gap = this.#gaps.get(key);
      if (gap) {
        this.#gaps.delete(key);
        const gapMs = startedAt.getTime() - gap.since;
        this.#room.session.record('recording-resumed', {
          pointId,
          detail: { kind: group, name, gapMs, after: gap.reason },
        });
        this.#log.warn({ pointId, group, gapMs }, 'recording resumed after a gap');
      }
      this.#startAttempts.delete(key);
      this.#writeManifest();
      this.#log.info({ pointId, group, name }, 'recording');
    } catch (err) {
      for (const consumer of consumers) {
        consumer.close();
      }
      this.#startFailed(pointId, group, err);
    }
  }

  /**
   * ffmpeg did not start (a port taken meanwhile, the recorder restarting): the point is
   * not being recorded. That is a gap, said so, and tried again, sooner then later.
   */
  #startFailed(pointId: string, group: Group, err: unknown): void {
    const key = this.#key(pointId, group);
    if (
      this.#closed ||
      !this.#room.session.recording ||
      this.#producersOf(pointId, group).length === 0
    ) {
      // It stopped sending (left, dropped) while its recording was being set up:
      // nothing to record, nothing lost.
      this.#log.info({ pointId, group, err }, 'recording not started: the point stopped sending');
      return;
    }
    const attempt = (this.#startAttempts.get(key) ?? 0) + 1;
    this.#startAttempts.set(key, attempt);
    const reason = `the recording could not start: ${(err as Error).message}`;
    this.#problem('start-failed', pointId, `${reason} (attempt ${attempt})`);
    if (!this.#gaps.has(key)) {
      this.#gaps.set(key, { since: Date.now(), reason });
      this.#room.session.record('recording-interrupted', {
        pointId,
        detail: { kind: group, reason },
      });
      this.#writeManifest();
    }
    if (this.#closed) {
      return;
    }
    const delay = Math.min(START_RETRY_MS * 2 ** (attempt - 1), START_RETRY_MAX_MS);
    const retry = setTimeout(() => {
      this.#retries.delete(retry);
      this.#schedule(pointId, group);
    }, delay);
    this.#retries.add(retry);
  }

  /** Logged at error level, kept for /healthz and /metrics, told to the chairs. */
  #problem(kind: RecordingProblemKind, pointId: string | undefined, detail: string): void {
    const problem = this.#o.problems?.report({
      kind,
      sessionId: this.#room.session.id,
      ...(pointId !== undefined ? { pointId } : {}),
      detail,
    });
    this.#room.notifyChairs('recordingProblem', {
      kind,
      pointId: pointId ?? null,
      detail,
      at: problem?.at ?? new Date().toISOString(),
    });
  }

  async #stop(recording: Run): Promise<void> {
    recording.stopping = true;
    // ffmpeg first, while packets still arrive: its read loop sees the stop at once and
    // finishes the last segment, where a starved one would sit in a blocking read.
    await this.#supervisor
      .request({ type: 'stopPoint', key: recording.key })
      .catch((err: unknown) => {
        this.#log.warn(
          { err, key: recording.key },
          'stop: the recorder was not recording this point',
        );
      });
    // Its last segments have come in (the recorder sends them before it answers). An
    // ffmpeg starved of packets (the point left first) may have had to be killed: what
    // it was writing is taken in as cut short.
    await this.#adopt(recording, false);
    if (this.#recordings.get(recording.key) === recording) {
      this.#recordings.delete(recording.key);
    }
    for (const consumer of recording.consumers) {
      consumer.close();
      this.#keyframes.forget(consumer.id);
    }
    this.#room.session.record('recording-stopped', {
      pointId: recording.pointId,
      detail: { kind: recording.group, name: recording.name },
    });
    // The last segments and the stop itself are in the manifest before anything else.
    this.#writeManifest();
  }

  #onRecorderMessage(message: RecorderMessage): void {
    if (
      message.type !== 'segment' &&
      message.type !== 'pointDied' &&
      message.type !== 'pictureBroken'
    ) {
      return;
    }
    const run = this.#runs.get(message.name);
    if (!run) {
      return;
    }
    if (message.type === 'pictureBroken') {
      // The PLI ffmpeg cannot send: without it the picture stays broken until the next
      // periodic keyframe, up to half a segment away.
      this.#log.info(
        { pointId: run.pointId, name: run.name },
        'recorded picture broken: keyframe asked',
      );
      this.#keyframes.pictureBroken(run.consumers);
      return;
    }
    if (message.type === 'pointDied') {
      if (this.#recordings.get(run.key) !== run || run.stopping) {
        return;
      }
      this.#interrupted(run, message.message);
      // Its closed segments are being hashed by the recorder; what is left (the
      // segment it was writing) is taken in once that is done.
      setTimeout(() => this.#adoptLogged(run, true), 1000);
      this.#schedule(run.pointId, run.group);
      return;
    }
    const { segment } = message;
    if (segment.end <= segment.start && (segment.bytes === 0 || segment.readable === false)) {
      // Closed before its first packet (its point stopped at once): a header at most,
      // nothing of the recording. Not a record of anything, so not kept.
      rmSync(segment.file, { force: true });
      this.#log.info({ file: path.basename(segment.file) }, 'segment without media removed');
      return;
    }
    if (segment.bytes === 0) {
      // Nothing of the recording is in it: removed (the archive holds what it lists),
      // and what it should have held is a gap verify reports.
      rmSync(segment.file, { force: true });
      this.#problem('bad-segment', run.pointId, `${path.basename(segment.file)} came out empty`);
      return;
    }
    if (segment.readable === false) {
      this.#problem(
        'bad-segment',
        run.pointId,
        `${path.basename(segment.file)} cannot be opened by ffmpeg; kept as it is`,
      );
    }
    this.#addFile(run, segment, false);
  }

  /** The recorder process died: its ffmpegs are orphans, told to finish their segment. */
  #onRecorderDied(): void {
    for (const run of [...this.#recordings.values()]) {
      if (run.stopping) {
        continue;
      }
      this.#interrupted(run, 'the recorder process died');
      void finishOrphan(run.ffmpegPid, run.name, run.rtcpPorts)
        .catch(() => undefined)
        .then(() => this.#adoptLogged(run, true));
      // Restarted when the recorder is back (recorderup).
    }
  }

  #interrupted(run: Run, reason: string): void {
    this.#problem('interrupted', run.pointId, `${run.name}: ${reason}`);
    if (!this.#gaps.has(run.key)) {
      this.#gaps.set(run.key, { since: Date.now(), reason });
    }
    this.#room.session.record('recording-interrupted', {
      pointId: run.pointId,
      detail: { kind: run.group, name: run.name, reason },
    });
    this.#writeManifest();
  }

  /**
   * Takes in what a run that did not stop cleanly left: segments ffmpeg listed but the
   * recorder never hashed, and the one being written (after a crash: `interrupted`,
   * readable up to the crash; after a starved ffmpeg was stopped: whole, but without
   * its index). Files without a frame of media are removed.
   */
  #adoptLogged(run: Run, crashed: boolean): void {
    this.#adopt(run, crashed).catch((err: unknown) =>
      this.#log.error({ err, run: run.name }, 'taking in what a run left failed'),
    );
  }

  async #adopt(run: Run, crashed: boolean): Promise<void> {
    const listFile = segmentListFile(this.#work, run.name);
    const listed = existsSync(listFile)
      ? segmentListEntries(readFileSync(listFile, 'utf8'), this.#media)
      : [];
    for (const entry of listed) {
      const name = path.basename(entry.file);
      if (this.#known.has(name) || !existsSync(entry.file)) {
        continue;
      }
      this.#known.add(name);
      this.#addFile(run, await hashSegment(entry), false);
    }
    const prefix = `${run.name}-`;
    const left = existsSync(this.#media)
      ? readdirSync(this.#media)
          .filter((n) => n.startsWith(prefix) && n.endsWith('.mkv') && !this.#known.has(n))
          .sort()
      : [];
    for (const name of left) {
      const full = path.join(this.#media, name);
      const bytes = statSync(full).size;
      if (bytes === 0 || (bytes < 64 * 1024 && !(await readable(this.#supervisor.ffmpeg, full)))) {
        // Opened by ffmpeg just before the crash: headers at most, not a frame of media.
        this.#log.warn({ file: name, bytes }, 'segment cut before its first frame removed');
        unlinkSync(full);
        continue;
      }
      this.#known.add(name);
      const startSeconds = (run.lastEnd.getTime() - run.startedAt.getTime()) / 1000;
      const endSeconds = (Date.now() - run.startedAt.getTime()) / 1000;
      this.#addFile(
        run,
        { file: full, bytes, sha256: await sha256File(full), start: startSeconds, end: endSeconds },
        crashed,
      );
      this.#log.warn(
        { file: name, bytes },
        crashed ? 'segment interrupted by a crash taken in' : 'last segment taken in',
      );
    }
  }

  async #onDiskLow(): Promise<void> {
    const session = this.#room.session;
    const health = this.#o.disk?.health();
    if (!health || this.#closed) {
      return;
    }
    const detail = {
      reason: 'disk-low' as const,
      freeMb: Math.floor(health.freeBytes / 1048576),
      minFreeMb: Math.floor(health.minFreeBytes / 1048576),
    };
    session.record('recording-alarm', { detail });
    this.#room.broadcast('recordingAlarm', detail);
    if (session.recording) {
      this.#stoppedByAlarm = true;
      await this.setEnabled(false, 'recorder');
    }
  }

  #addFile(run: Run, segment: ClosedSegment, interrupted: boolean): void {
    const name = path.basename(segment.file);
    if (this.#files.some((f) => path.basename(f.file) === name)) {
      return;
    }
    this.#known.add(name);
    const at = (seconds: number): Date => new Date(run.startedAt.getTime() + seconds * 1000);
    const end = at(segment.end);
    if (end > run.lastEnd) {
      run.lastEnd = end;
    }
    this.#files.push({
      file: path.relative(this.#archive, segment.file),
      sha256: segment.sha256,
      bytes: segment.bytes,
      kind: run.group,
      pointId: run.pointId,
      start: at(segment.start).toISOString(),
      end: end.toISOString(),
      run: run.name,
      ...(interrupted ? { interrupted: true } : {}),
      ...(segment.readable === false ? { unreadable: true } : {}),
    });
    this.#writeManifest();
  }

  #writeManifest(): void {
    const session = this.#room.session;
    // The composite is written after the session by another hand: keep what it wrote.
    const onDisk = readManifestSafely(this.#archive, this.#log);
    const composites = onDisk?.files.filter((f) => f.kind === 'composite') ?? [];
    const points = new Map((onDisk?.points ?? []).map((p) => [p.id, p]));
    for (const p of session.points.values()) {
      points.set(p.id, { id: p.id, name: p.name, kind: p.kind, role: p.role });
    }
    const manifest: Manifest = {
      version: 1,
      session: {
        id: session.id,
        openedAt: onDisk?.session.openedAt ?? session.openedAt.toISOString(),
      },
      points: [...points.values()],
      events: [...this.#earlierEvents, ...session.timeline],
      files: [...this.#files, ...composites],
      ...(onDisk?.composite ? { composite: onDisk.composite } : {}),
      updatedAt: new Date().toISOString(),
    };
    writeManifest(this.#archive, manifest);
  }

  #producersOf(pointId: string, group: Group): types.Producer[] {
    return [...(this.#room.peers.get(pointId)?.producers.values() ?? [])].filter(
      (p) => !p.closed && groupOf(p) === group,
    );
  }

  #key(pointId: string, group: Group): string {
    return `${this.#room.session.id}/${pointId}/${group}`;
  }
}

function sourceOf(producer: types.Producer): string {
  return (producer.appData as { source?: string }).source ?? producer.kind;
}

function groupOf(producer: types.Producer): Group {
  return (producer.appData as { source?: string }).source === 'screen' ? 'screen' : 'av';
}

async function readable(ffmpeg: string, file: string): Promise<boolean> {
  try {
    await probeMedia(ffmpeg, file);
    return true;
  } catch {
    return false;
  }
}

function readManifestSafely(dir: string, log: Logger): Manifest | null {
  try {
    return readManifest(dir);
  } catch (err) {
    log.error({ err }, 'manifest.json unreadable; a new one is written beside the media');
    return null;
  }
}
