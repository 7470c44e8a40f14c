/**
 * What a session's end does to its archive, once its recorder has stopped: each run's
 * segments joined into one verified file (in the recorder process), the runs' working
 * files removed, then, in the background, the composite. Work a stopped server left
 * (segments not joined, a composite due or cut short) is resumed at the next start.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../common/logger.js';
import { archiveDirOf, workDirOf } from '../../archive/archivePaths.js';
import {
  type ArchiveWork,
  removeStaleWorkFiles,
  unfinishedWork,
} from '../../archive/archiveWork.js';
import { joinArchiveRuns } from '../../archive/finalizeArchive.js';
import { updateManifest } from '../../archive/manifest.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';
import type { RecordingProblems } from './RecordingProblems.js';
import { renderSessionComposite } from './sessionComposite.js';

export interface ArchiveFinisherOptions {
  dataDir: string;
  logger: Logger;
  supervisor: RecorderSupervisor;
  problems: RecordingProblems;
  /** Render the composite record when a session ends. */
  composite: boolean;
  /** All of a session's end is done (joined, composite rendered or failed). */
  onFinished?: (sessionId: string) => Promise<void>;
}

export class ArchiveFinisher {
  readonly #o: ArchiveFinisherOptions;
  /** Sessions whose segments are being joined: a new sitting waits for that. */
  readonly #finishing = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: ArchiveFinisherOptions) {
    this.#o = options;
  }

  /** Resolves when the session's segments are joined (at once when none are being). */
  joined(sessionId: string): Promise<void> {
    return this.#finishing.get(sessionId) ?? Promise.resolve();
  }

  isFinishing(sessionId: string): boolean {
    return this.#finishing.has(sessionId);
  }

  /**
   * A session's end: joins, then (in the background) the composite. The composite is
   * marked `pending` first, so a shutdown before it is rendered leaves it due for the
   * next start. Resolves when all of it is done.
   */
  finish(sessionId: string): Promise<void> {
    const archiveDir = archiveDirOf(this.#o.dataDir, sessionId);
    const workDir = workDirOf(this.#o.dataDir, sessionId);
    const log = this.#o.logger.child({ sessionId });
    const { supervisor, problems } = this.#o;
    const joining = (async () => {
      if (this.#o.composite) {
        await updateManifest(archiveDir, (m) => {
          m.composite = { status: 'pending', progress: 0 };
        });
      }
      const result = await joinArchiveRuns(archiveDir, (segments, output, options) =>
        supervisor.request({ type: 'joinRun', segments, output, ...options }, 30 * 60_000),
      );
      log.info(result, 'session ended: recordings joined');
      for (const failed of result.failed) {
        problems.report({
          kind: 'join-failed',
          sessionId,
          detail: `${failed.run}: ${failed.error}`,
        });
      }
      // Their SDPs and segment lists served the live runs and a crash's take-in only.
      rmSync(workDir, { recursive: true, force: true });
    })()
      .catch((err: unknown) => log.error({ err }, 'finalizing the recordings failed'))
      .finally(() => this.#finishing.delete(sessionId));
    this.#finishing.set(sessionId, joining);
    const finished = (): Promise<void> =>
      (this.#o.onFinished?.(sessionId) ?? Promise.resolve()).catch((err: unknown) =>
        log.error({ err }, 'archiving the session failed'),
      );
    if (!this.#o.composite || this.#closed) {
      return joining.then(finished);
    }
    // In the background: a shutdown does not wait for it (the recorder aborts it; it is
    // `interrupted` then, and rendered again at the next start).
    return joining
      .then(async () => {
        if (this.#closed) {
          return;
        }
        const state = await renderSessionComposite(supervisor, archiveDir, log);
        if (state.status === 'failed') {
          problems.report({
            kind: 'composite-failed',
            sessionId,
            detail: state.detail ?? 'no detail',
          });
        }
      })
      .catch((err: unknown) => log.error({ err }, 'composite record failed'))
      .then(finished);
  }

  /**
   * Work a stopped server left on the archives, one archive at a time, in the
   * background; `busy` says which sessions are live again (their own end does it).
   * Resolves when all is done.
   */
  resume(busy: (sessionId: string) => boolean): Promise<void> {
    const root = path.join(this.#o.dataDir, 'archive');
    const ids = existsSync(root)
      ? readdirSync(root, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort()
      : [];
    const log = this.#o.logger.child({ component: 'archive-resume' });
    let chain = Promise.resolve();
    for (const sessionId of ids) {
      chain = chain.then(async () => {
        if (this.#closed || busy(sessionId) || this.#finishing.has(sessionId)) {
          return;
        }
        const archiveDir = archiveDirOf(this.#o.dataDir, sessionId);
        let due: ArchiveWork;
        try {
          due = unfinishedWork(archiveDir, this.#o.composite);
        } catch (err) {
          log.error({ err, sessionId }, 'archive unreadable: not resumed');
          return;
        }
        removeStaleWorkFiles(archiveDir);
        if (!due.join && !due.composite) {
          rmSync(workDirOf(this.#o.dataDir, sessionId), { recursive: true, force: true });
          return;
        }
        log.warn({ sessionId, ...due }, 'resuming what a stopped server left on an archive');
        await this.finish(sessionId);
      });
    }
    return chain.catch((err: unknown) => log.error({ err }, 'resuming the archives failed'));
  }

  /** No new work is started (what runs is cut short by the recorder's own shutdown). */
  close(): void {
    this.#closed = true;
  }
}
