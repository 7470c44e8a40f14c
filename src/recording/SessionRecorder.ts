/**
 * Records every bridge point of one live session: for each point, its microphone and
 * camera go into one set of Matroska segments, its screen into another. Consumers are
 * created paused towards the recorder's ffmpeg and resumed only once ffmpeg listens; a
 * keyframe is asked for at once. A point's recording restarts by itself when it
 * publishes anew (rejoin, new producer, media moved after a worker death), when its
 * ffmpeg dies, or when the recorder process is restarted. Each closed segment, hashed,
 * is added to the archive's manifest.json at once.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { ClosedSegment } from '../../recorder/PointRecorder.js';
import type { RecorderMessage } from '../../recorder/protocol.js';
import { type SdpTrack, sdpTrackOf } from '../../recorder/sdp.js';
import { archiveDirOf } from '../../recorder/sessionAudit.js';
import type { Logger } from '../logger.js';
import type { Room } from '../sfu/Room.js';
import { freeUdpPorts } from '../util/portFree.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';

type Group = 'av' | 'screen';

interface Recording {
  key: string;
  pointId: string;
  group: Group;
  consumers: types.Consumer[];
  startedAt: Date;
  name: string;
  /** Being stopped: its last segments still arrive, its consumers' closing is expected. */
  stopping: boolean;
}

export interface ManifestFile {
  file: string;
  sha256: string;
  bytes: number;
  kind: Group;
  pointId: string;
  start: string;
  end: string;
}

const RESTART_DEBOUNCE_MS = 300;

export class SessionRecorder {
  readonly #room: Room;
  readonly #supervisor: RecorderSupervisor;
  readonly #dataDir: string;
  readonly #segmentSeconds: number;
  readonly #log: Logger;
  readonly #recordings = new Map<string, Recording>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #files: ManifestFile[] = [];
  readonly #offMessage: () => void;
  readonly #offUp: () => void;
  readonly #keyframeTimer: NodeJS.Timeout;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    room: Room,
    supervisor: RecorderSupervisor,
    options: { dataDir: string; segmentSeconds: number; autoStart: boolean; logger: Logger },
  ) {
    this.#room = room;
    this.#supervisor = supervisor;
    this.#dataDir = options.dataDir;
    this.#segmentSeconds = options.segmentSeconds;
    this.#log = options.logger.child({ sessionId: room.session.id, component: 'session-recorder' });
    room.recordingControl = (enabled, by) => this.setEnabled(enabled, by);
    if (options.autoStart && !room.session.recording) {
      room.session.recording = true;
      room.session.record('recording-enabled', { detail: { auto: true } });
    }
    room.on('newproducer', (pointId, producer) => {
      this.#schedule(pointId, groupOf(producer));
    });
    const onMessage = (message: RecorderMessage): void => this.#onRecorderMessage(message);
    const onUp = (_pid: number, restart: boolean): void => {
      if (restart) {
        for (const r of this.#recordings.values()) {
          this.#schedule(r.pointId, r.group);
        }
      }
    };
    supervisor.on('message', onMessage);
    supervisor.on('recorderup', onUp);
    this.#offMessage = () => supervisor.off('message', onMessage);
    this.#offUp = () => supervisor.off('recorderup', onUp);
    for (const peer of room.peers.values()) {
      for (const producer of peer.producers.values()) {
        this.#schedule(peer.pointId, groupOf(producer));
      }
    }
    // Browsers send keyframes only when asked: without one, ffmpeg cannot cut a segment
    // (codec copy cuts on keyframes), and a lost packet would spoil the picture until
    // the next. One request per segment length keeps segments near their set length.
    this.#keyframeTimer = setInterval(
      () => {
        for (const recording of this.#recordings.values()) {
          for (const consumer of recording.consumers) {
            if (consumer.kind === 'video' && !consumer.closed) {
              void consumer.requestKeyFrame().catch(() => undefined);
            }
          }
        }
      },
      Math.max(1000, (options.segmentSeconds * 1000) / 2),
    );
  }

  get files(): readonly ManifestFile[] {
    return this.#files;
  }

  /** The operator's or host's switch; every point is told the recording state. */
  async setEnabled(enabled: boolean, by: string): Promise<void> {
    const session = this.#room.session;
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

  /** Stops every point's recording; their last segments are hashed into the manifest. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#keyframeTimer);
    await this.#stopAll();
    this.#offMessage();
    this.#offUp();
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
    const producers = [...(this.#room.peers.get(pointId)?.producers.values() ?? [])].filter(
      (p) => !p.closed && groupOf(p) === group,
    );
    if (producers.length === 0) {
      return;
    }
    const base = await freeUdpPorts(producers.length * 2);
    const consumers: types.Consumer[] = [];
    const tracks: SdpTrack[] = [];
    try {
      for (const [i, producer] of producers.entries()) {
        const port = base + i * 2;
        const consumer = await this.#room.recordingConsumer(producer.id, port, port + 1);
        consumers.push(consumer);
        tracks.push(sdpTrackOf(consumer, port, port + 1));
      }
      const startedAt = new Date();
      const name = `${pointId}-${group}-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
      await this.#supervisor.request({
        type: 'startPoint',
        key,
        dir: path.join(archiveDirOf(this.#dataDir, this.#room.session.id), 'media'),
        name,
        tracks,
        segmentSeconds: this.#segmentSeconds,
      });
      // ffmpeg listens now: only now may media flow, starting with a keyframe.
      for (const consumer of consumers) {
        await consumer.resume();
        if (consumer.kind === 'video') {
          await consumer.requestKeyFrame();
        }
      }
      const recording: Recording = {
        key,
        pointId,
        group,
        consumers,
        startedAt,
        name,
        stopping: false,
      };
      this.#recordings.set(key, recording);
      for (const consumer of consumers) {
        // The producer went (left, replaced, worker lost): follow what the point sends now.
        consumer.observer.once('close', () => {
          if (this.#recordings.get(key) === recording && !recording.stopping) {
            this.#schedule(pointId, group);
          }
        });
      }
      this.#room.session.record('recording-started', { pointId, detail: { kind: group, name } });
      this.#log.info({ pointId, group, name }, 'recording');
    } catch (err) {
      for (const consumer of consumers) {
        consumer.close();
      }
      throw err;
    }
  }

  async #stop(recording: Recording): Promise<void> {
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
    // Its last segments have come in (the recorder sends them before it answers).
    this.#recordings.delete(recording.key);
    for (const consumer of recording.consumers) {
      consumer.close();
    }
    this.#room.session.record('recording-stopped', {
      pointId: recording.pointId,
      detail: { kind: recording.group, name: recording.name },
    });
    // The last segments and the stop itself are in the manifest before anything else.
    this.#writeManifest();
  }

  #onRecorderMessage(message: RecorderMessage): void {
    if (message.type !== 'segment' && message.type !== 'pointDied') {
      return;
    }
    const recording = this.#recordings.get(message.key);
    if (!recording) {
      return;
    }
    if (message.type === 'pointDied') {
      this.#log.error(
        { key: message.key, reason: message.message },
        'ffmpeg died; restarting the recording',
      );
      this.#schedule(recording.pointId, recording.group);
      return;
    }
    this.#addFile(recording, message.segment);
  }

  #addFile(recording: Recording, segment: ClosedSegment): void {
    const at = (seconds: number): string =>
      new Date(recording.startedAt.getTime() + seconds * 1000).toISOString();
    this.#files.push({
      file: path.relative(archiveDirOf(this.#dataDir, this.#room.session.id), segment.file),
      sha256: segment.sha256,
      bytes: segment.bytes,
      kind: recording.group,
      pointId: recording.pointId,
      start: at(segment.start),
      end: at(segment.end),
    });
    this.#writeManifest();
  }

  #writeManifest(): void {
    const dir = archiveDirOf(this.#dataDir, this.#room.session.id);
    const session = this.#room.session;
    const manifest = {
      version: 1,
      session: { id: session.id, openedAt: session.openedAt.toISOString() },
      points: [...session.points.values()].map((p) => ({
        id: p.id,
        name: p.name,
        kind: p.kind,
        role: p.role,
      })),
      events: session.timeline,
      files: this.#files,
      updatedAt: new Date().toISOString(),
    };
    const file = path.join(dir, 'manifest.json');
    // Whole or not at all: a crash mid-write must not leave a torn manifest.
    writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  #key(pointId: string, group: Group): string {
    return `${this.#room.session.id}/${pointId}/${group}`;
  }
}

function groupOf(producer: types.Producer): Group {
  return (producer.appData as { source?: string }).source === 'screen' ? 'screen' : 'av';
}
