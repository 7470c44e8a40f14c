import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import type { SessionStore } from '../sessions/SessionStore.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import { joinArchiveRuns } from '../../archive/finalizeArchive.js';
import {
  type ArchiveWork,
  removeStaleWorkFiles,
  unfinishedWork,
} from '../../archive/archiveWork.js';
import { updateManifest } from '../../archive/manifest.js';
import { archiveDirOf, workDirOf } from '../../archive/archivePaths.js';
import { attachAuditLog } from '../recording/attachAuditLog.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import type { RecordingProblems } from '../recording/RecordingProblems.js';
import { SessionRecorder } from '../recording/SessionRecorder.js';
import { renderSessionComposite } from '../recording/sessionComposite.js';
import { Room } from './Room.js';

export interface RoomsOptions {
  pool: WorkerPool;
  /** Each session's audit log goes to `<dataDir>/archive/<sessionId>/audit.jsonl`. */
  dataDir: string;
  sessions: SessionStore;
  logger: Logger;
  maxDelegatePoints: number;
  reconnectGraceMs: number;
  /** Records every session's points when given. */
  recorder: {
    supervisor: RecorderSupervisor;
    segmentSeconds: number;
    autoStart: boolean;
    /** Render the composite record when a session ends. */
    composite: boolean;
    disk: DiskMonitor | null;
    problems: RecordingProblems;
  } | null;
}

/** The live rooms, one per session with points present; made on the first join. */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #recorders = new Map<Room, SessionRecorder | null>();
  /** Sessions whose segments are being joined: a new sitting waits for that. */
  readonly #finishing = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: RoomsOptions) {
    this.#options = options;
  }

  /** Concurrent first joins of one session share one room (one router). */
  roomFor(sessionId: string): Promise<Room> {
    let room = this.#rooms.get(sessionId);
    if (!room) {
      const finishing = this.#finishing.get(sessionId) ?? Promise.resolve();
      room = finishing.then(() => {
        const session = this.#options.sessions.open(sessionId);
        attachAuditLog(session, this.#options.dataDir, this.#options.logger);
        return Room.create({ ...this.#options, session });
      });
      this.#rooms.set(sessionId, room);
      room.then(
        (r) => {
          const { recorder } = this.#options;
          const recording = recorder
            ? new SessionRecorder(r, recorder.supervisor, {
                dataDir: this.#options.dataDir,
                segmentSeconds: recorder.segmentSeconds,
                autoStart: recorder.autoStart,
                logger: this.#options.logger,
                disk: recorder.disk,
                problems: recorder.problems,
              })
            : null;
          this.#recorders.set(r, recording);
          r.once('@empty', () => {
            // Everyone has left: the session has ended. Finish the recordings, free the
            // router, then join each run's segments and render the composite.
            void (recording?.close() ?? Promise.resolve())
              .finally(() => r.close())
              .then(() =>
                recording
                  ? this.#finish(sessionId, recording.archiveDir, recording.workDir)
                  : undefined,
              );
          });
          r.once('@close', () => {
            this.#recorders.delete(r);
            this.#rooms.delete(sessionId);
            r.session.close();
          });
          if (this.#closed) {
            r.close();
          }
        },
        () => this.#rooms.delete(sessionId),
      );
    }
    return room;
  }

  get size(): number {
    return this.#rooms.size;
  }

  async list(): Promise<Room[]> {
    const settled = await Promise.allSettled(this.#rooms.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * A session's end, after its recorder has stopped: each run's segments joined into one
   * file, the runs' working files removed, then (in the background) the composite. The
   * composite is marked `pending` first, so a shutdown before it is rendered leaves it
   * due for the next start ({@link Rooms.resumeArchives}).
   */
  #finish(sessionId: string, archiveDir: string, workDir: string): Promise<void> {
    const log = this.#options.logger.child({ sessionId });
    const recorder = this.#options.recorder;
    if (recorder?.composite) {
      updateManifest(archiveDir, (m) => {
        m.composite = { status: 'pending', progress: 0 };
      });
    }
    const joining = joinArchiveRuns(archiveDir, async (segments, output, options) => {
      if (!recorder) {
        throw new Error('no recorder');
      }
      return recorder.supervisor.request(
        { type: 'joinRun', segments, output, ...options },
        30 * 60_000,
      );
    })
      .then((result) => {
        log.info(result, 'session ended: recordings joined');
        for (const failed of result.failed) {
          recorder?.problems.report({
            kind: 'join-failed',
            sessionId,
            detail: `${failed.run}: ${failed.error}`,
          });
        }
        // Their SDPs and segment lists served the live runs and a crash's take-in only.
        rmSync(workDir, { recursive: true, force: true });
      })
      .catch((err: unknown) => log.error({ err }, 'finalizing the recordings failed'))
      .finally(() => this.#finishing.delete(sessionId));
    this.#finishing.set(sessionId, joining);
    if (recorder?.composite && !this.#closed) {
      // In the background: a shutdown does not wait for it (the recorder aborts it; it
      // is `interrupted` then, and rendered again at the next start).
      const rendering = joining
        .then(async () => {
          if (this.#closed) {
            return;
          }
          const state = await renderSessionComposite(recorder.supervisor, archiveDir, log);
          if (state.status === 'failed') {
            recorder.problems.report({
              kind: 'composite-failed',
              sessionId,
              detail: state.detail ?? 'no detail',
            });
          }
        })
        .catch((err: unknown) => log.error({ err }, 'composite record failed'));
      return rendering.then(() => undefined);
    }
    return joining;
  }

  /**
   * Work a stopped server left on the archives (segments not joined, a composite due or
   * cut short), done one archive at a time in the background. Resolves when all is done.
   */
  resumeArchives(): Promise<void> {
    const root = path.join(this.#options.dataDir, 'archive');
    const ids = existsSync(root)
      ? readdirSync(root, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort()
      : [];
    const log = this.#options.logger.child({ component: 'archive-resume' });
    let chain = Promise.resolve();
    for (const sessionId of ids) {
      chain = chain.then(async () => {
        if (this.#closed || this.#rooms.has(sessionId) || this.#finishing.has(sessionId)) {
          return;
        }
        const archiveDir = archiveDirOf(this.#options.dataDir, sessionId);
        const workDir = workDirOf(this.#options.dataDir, sessionId);
        let due: ArchiveWork;
        try {
          due = unfinishedWork(archiveDir, this.#options.recorder?.composite ?? false);
        } catch (err) {
          log.error({ err, sessionId }, 'archive unreadable: not resumed');
          return;
        }
        removeStaleWorkFiles(archiveDir);
        if (!due.join && !due.composite) {
          rmSync(workDir, { recursive: true, force: true });
          return;
        }
        log.warn({ sessionId, ...due }, 'resuming what a stopped server left on an archive');
        await this.#finish(sessionId, archiveDir, workDir);
      });
    }
    return chain.catch((err: unknown) => log.error({ err }, 'resuming the archives failed'));
  }

  /**
   * Finishes every recording (last segments hashed), then closes the rooms. Segments
   * are not joined here (a long session's join outlasts a shutdown): `diemcau
   * recordings finalize` does it later, and the archive verifies as it is.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const rooms = await this.list();
    await Promise.all(rooms.map((room) => this.#recorders.get(room)?.close() ?? Promise.resolve()));
    for (const room of rooms) {
      room.close();
    }
  }
}
