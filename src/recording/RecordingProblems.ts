/**
 * What went wrong with the recordings, where an operator sees it: each problem is
 * logged at error level with its session and point, kept (the latest few) for
 * `/healthz`, counted for `/metrics` by kind, and told to whoever listens (the session's
 * chairs). A failed recording is never only a line among thousands in a log.
 */
import type { Logger } from '../../common/logger.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';

import type { RecordingProblemKind } from '../../protocol/signaling.js';

export type { RecordingProblemKind };

/**
 * `interrupted`: a run's ffmpeg died, or the recorder process did (a gap until it is
 * back); `start-failed`: a run could not start (retried, a gap meanwhile);
 * `bad-segment`: a closed segment came out empty or unreadable; `join-failed`: a run's
 * segments could not be joined; `composite-failed`: the composite could not be made.
 */
export const PROBLEM_KINDS: readonly RecordingProblemKind[] = [
  'interrupted',
  'start-failed',
  'bad-segment',
  'join-failed',
  'composite-failed',
];

export interface RecordingProblem {
  at: string;
  kind: RecordingProblemKind;
  sessionId: string;
  pointId?: string;
  detail: string;
}

const KEPT = 20;

export class RecordingProblems extends EnhancedEventEmitter<{ problem: [RecordingProblem] }> {
  readonly #log: Logger;
  readonly #recent: RecordingProblem[] = [];
  readonly #counts = new Map<RecordingProblemKind, number>();

  constructor(logger: Logger) {
    const log = logger.child({ component: 'recording-problems' });
    super((event, err) => log.error({ err, event }, 'recording problem listener failed'));
    this.#log = log;
  }

  report(problem: Omit<RecordingProblem, 'at'>): RecordingProblem {
    const full: RecordingProblem = { at: new Date().toISOString(), ...problem };
    this.#log.error(
      { sessionId: full.sessionId, pointId: full.pointId, kind: full.kind, detail: full.detail },
      'recording problem',
    );
    this.#recent.push(full);
    this.#recent.splice(0, Math.max(0, this.#recent.length - KEPT));
    this.#counts.set(full.kind, (this.#counts.get(full.kind) ?? 0) + 1);
    this.safeEmit('problem', full);
    return full;
  }

  /** The latest problems, oldest first. */
  recent(): readonly RecordingProblem[] {
    return this.#recent;
  }

  count(kind: RecordingProblemKind): number {
    return this.#counts.get(kind) ?? 0;
  }
}
