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
import type { types } from 'mediasoup';
import { errors } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { ManifestPlan } from '../../archive/manifest.js';
import type { RecorderMessage } from '../../protocol/recorder.js';
import type { Room } from '../sfu/Room.js';
import { sourceOf } from '../sfu/RoomMedia.js';
import type { DiskMonitor } from './DiskMonitor.js';
import { finishOrphan } from './finishOrphan.js';
import { KeyframeRequester } from './KeyframeRequester.js';
import { RecordedLayerFallback } from './RecordedLayerFallback.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';
import { type Group, RecordingArchive, type RunInfo, groupOf } from './RecordingArchive.js';
import { RecordingGaps } from './RecordingGaps.js';
import { RunQueue } from './RunQueue.js';
import type { RecordingProblemKind, RecordingProblems } from './RecordingProblems.js';
import { startRun } from './startRun.js';

/** A run as the recorder drives it: its ffmpeg, its consumers, whether it is stopping. */
interface Run extends RunInfo {
  key: string;
  consumers: types.Consumer[];
  ffmpegPid: number | null;
  /** Where its ffmpeg takes RTCP: a BYE there ends it cleanly. */
  rtcpPorts: readonly number[];
  /** Being stopped: its last segments still arrive, its consumers' closing is expected. */
  stopping: boolean;
}

export interface SessionRecorderOptions {
  dataDir: string;
  segmentSeconds: number;
  autoStart: boolean;
  logger: Logger;
  disk: DiskMonitor | null;
  /** Where what goes wrong is reported (log, /healthz, /metrics). */
  problems?: RecordingProblems;
  /** What the session was planned as, for its manifest. */
  plan?: () => ManifestPlan | undefined;
}

export class SessionRecorder {
  readonly #room: Room;
  readonly #supervisor: RecorderSupervisor;
  readonly #o: SessionRecorderOptions;
  readonly #archive: RecordingArchive;
  readonly #log: Logger;
  readonly #recordings = new Map<string, Run>();
  /** Every run of this recorder by name, ended ones too: late segments find theirs. */
  readonly #runs = new Map<string, Run>();
  readonly #queue: RunQueue;
  readonly #gaps: RecordingGaps;
  readonly #off: (() => void)[] = [];
  readonly #keyframes: KeyframeRequester;
  readonly #layerFallback: RecordedLayerFallback;
  /** Runs whose picture the recorder says is quiet, by name: their key, and since when (ms). */
  readonly #quietPictures = new Map<string, { key: string; since: number }>();
  /** Recording was stopped by the disk alarm (not by a person): it resumes with space. */
  #stoppedByAlarm = false;
  #closed = false;

  constructor(room: Room, supervisor: RecorderSupervisor, options: SessionRecorderOptions) {
    this.#room = room;
    this.#supervisor = supervisor;
    this.#o = options;
    this.#log = options.logger.child({ sessionId: room.session.id, component: 'session-recorder' });
    this.#archive = new RecordingArchive(options.dataDir, room.session, this.#log, options.plan);
    this.#gaps = new RecordingGaps(room.session, this.#log);
    this.#queue = new RunQueue(this.#log, (key) => this.#restart(...keyParts(key)));
    if (options.autoStart && !room.session.recording) {
      if (options.disk?.health().low) {
        this.#stoppedByAlarm = true;
        room.session.record('recording-alarm', {
          detail: { reason: 'disk-low', freeBytes: options.disk.health().freeBytes },
        });
      } else {
        room.session.setRecording(true, null, { auto: true });
      }
    }
    room.on('newproducer', (pointId, producer) => {
      this.#schedule(pointId, groupOf(producer));
    });
    this.#off.push(
      supervisor.subscribe('message', (message) => this.#onRecorderMessage(message)),
      supervisor.subscribe('recorderdied', () => this.#onRecorderDied()),
      supervisor.subscribe('recorderup', (_pid, restart) => {
        if (restart) {
          for (const r of this.#recordings.values()) {
            this.#schedule(r.pointId, r.group);
          }
        }
      }),
    );
    if (options.disk) {
      this.#off.push(
        options.disk.subscribe('low', () => {
          this.#onDiskLow().catch((err: unknown) =>
            this.#log.error({ err }, 'stopping the recording on low disk failed'),
          );
        }),
        options.disk.subscribe('ok', () => {
          if (this.#stoppedByAlarm && !this.#closed) {
            this.#stoppedByAlarm = false;
            void this.setEnabled(true, 'recorder').catch(() => undefined);
          }
        }),
      );
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
    this.#layerFallback = new RecordedLayerFallback(() => room.media.recordedVideos(), this.#log);
  }

  get archiveDir(): string {
    return this.#archive.dir;
  }

  /** The runs' working files; removed once the session's runs are joined. */
  get workDir(): string {
    return this.#archive.work;
  }

  /** The operator's or host's switch; every point is told the recording state. */
  async setEnabled(enabled: boolean, by: string): Promise<void> {
    const session = this.#room.session;
    if (enabled && this.#o.disk?.health().low) {
      const free = Math.floor((this.#o.disk.health().freeBytes ?? 0) / 1048576);
      throw new errors.DISK_LOW(`${free} MiB free`);
    }
    if (this.#closed || !session.setRecording(enabled, by)) {
      return;
    }
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
    this.#layerFallback.close();
    this.#queue.cancelPending(true);
    await this.#stopAll();
    this.#quietPictures.clear();
    for (const off of this.#off) {
      off();
    }
    // The sitting's whole timeline (its last leaves too) is in the manifest: the next
    // sitting of the session starts from it.
    this.#archive.write();
    await this.#archive.flush();
  }

  /** Cancels pending starts and stops every point's recording, last segments included. */
  async #stopAll(): Promise<void> {
    this.#queue.cancelPending(false);
    await this.#queue.enqueue(async () => {
      for (const recording of [...this.#recordings.values()]) {
        await this.#stop(recording);
      }
    });
  }

  #schedule(pointId: string, group: Group): void {
    if (!this.#closed && this.#room.session.recording) {
      this.#queue.schedule(this.#key(pointId, group));
    }
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
    try {
      const started = await startRun(this.#room.media, this.#supervisor, {
        key,
        pointId,
        group,
        producers,
        dir: this.#archive.media,
        workDir: this.#archive.work,
        segmentSeconds: this.#o.segmentSeconds,
      });
      const { name, consumers, startedAt } = started;
      const recording: Run = {
        key,
        pointId,
        group,
        consumers,
        startedAt,
        name,
        ffmpegPid: started.ffmpegPid,
        rtcpPorts: started.rtcpPorts,
        stopping: false,
        lastEnd: startedAt,
      };
      this.#recordings.set(key, recording);
      this.#runs.set(name, recording);
      const quiet = this.#quietPictures.get(name);
      if (quiet) {
        this.#keyframes.pictureQuiet(consumers, quiet.since);
      }
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
      this.#gaps.resumed(key, { pointId, group, name }, startedAt);
      this.#queue.started(key);
      this.#archive.write();
      this.#log.info({ pointId, group, name }, 'recording');
    } catch (err) {
      this.#startFailed(pointId, group, err);
    }
  }

  /**
   * ffmpeg did not start (a port taken meanwhile, the recorder restarting): the point is
   * not being recorded. That is a gap, said so, and tried again, sooner then later.
   */
  #startFailed(pointId: string, group: Group, err: unknown): void {
    const key = this.#key(pointId, group);
    for (const [name, quiet] of this.#quietPictures) {
      if (quiet.key === key) {
        this.#quietPictures.delete(name);
      }
    }
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
    const attempt = this.#queue.retry(key);
    const reason = `the recording could not start: ${(err as Error).message}`;
    this.#problem('start-failed', pointId, `${reason} (attempt ${attempt})`);
    this.#gaps.interrupted(key, { pointId, group }, reason);
    this.#archive.write();
  }

  /** Logged at error level, kept for /healthz and /metrics (and so told to the chairs). */
  #problem(kind: RecordingProblemKind, pointId: string, detail: string): void {
    this.#o.problems?.report({ kind, sessionId: this.#room.session.id, pointId, detail });
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
    this.#quietPictures.delete(recording.name);
    this.#room.session.record('recording-stopped', {
      pointId: recording.pointId,
      detail: { kind: recording.group, name: recording.name },
    });
    // The last segments and the stop itself are in the manifest before anything else.
    this.#archive.write();
    await this.#archive.flush();
  }

  /**
   * The recorder's word on whether a run's picture reaches its file. It can come while
   * the run is still starting (ffmpeg listens before its point's first keyframe is
   * waited for): the layer watch is told at once, the keyframe requester once the run
   * is known.
   */
  #onPicture(
    message: Extract<RecorderMessage, { type: 'pictureQuiet' } | { type: 'pictureFlows' }>,
  ): void {
    const run = this.#runs.get(message.name);
    const current = this.#recordings.get(message.key);
    if (run ? current !== run || run.stopping : current !== undefined) {
      // An ended run's ffmpeg, finishing, or one whose start failed while another records.
      return;
    }
    const videos = this.#recordedVideoIdsOf(message.key);
    if (message.type === 'pictureQuiet') {
      this.#quietPictures.set(message.name, { key: message.key, since: message.since });
      this.#layerFallback.pictureQuiet(videos);
      if (run) {
        this.#keyframes.pictureQuiet(run.consumers, message.since);
      }
    } else {
      this.#quietPictures.delete(message.name);
      this.#layerFallback.pictureFlows(videos);
      if (run) {
        this.#keyframes.pictureFlows(run.consumers);
      }
    }
  }

  /** The recording consumers of a run's pictures, its run started or still starting. */
  #recordedVideoIdsOf(key: string): string[] {
    const producers = new Set(this.#producersOf(...keyParts(key)).map((p) => p.id));
    return this.#room.media
      .recordedVideos()
      .filter(({ producer }) => producers.has(producer.id))
      .map(({ consumer }) => consumer.id);
  }

  #onRecorderMessage(message: RecorderMessage): void {
    if (message.type === 'pictureQuiet' || message.type === 'pictureFlows') {
      this.#onPicture(message);
      return;
    }
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
    const problem = this.#archive.segmentClosed(run, message.segment);
    if (problem) {
      this.#problem('bad-segment', run.pointId, problem);
    }
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
    this.#gaps.interrupted(run.key, run, reason);
    this.#archive.write();
  }

  /** What a run that did not stop cleanly left, taken into the archive. */
  #adoptLogged(run: Run, crashed: boolean): void {
    this.#adopt(run, crashed).catch((err: unknown) =>
      this.#log.error({ err, run: run.name }, 'taking in what a run left failed'),
    );
  }

  #adopt(run: Run, crashed: boolean): Promise<void> {
    return this.#archive.takeIn(run, crashed, this.#supervisor.ffmpeg);
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

  #producersOf(pointId: string, group: Group): types.Producer[] {
    return [...(this.#room.peers.get(pointId)?.producers.values() ?? [])].filter(
      (p) => !p.closed && groupOf(p) === group,
    );
  }

  #key(pointId: string, group: Group): string {
    return `${this.#room.session.id}/${pointId}/${group}`;
  }
}

/** A run's key, `<session>/<point>/<group>`, read back: ids hold no `/` (ID_PATTERN). */
function keyParts(key: string): [pointId: string, group: Group] {
  const [pointId = '', group = 'av'] = key.split('/').slice(-2) as [string, Group];
  return [pointId, group];
}
