import type { Logger } from '../../common/logger.js';
import type { Session } from '../sessions/Session.js';
import type { Group } from './RecordingArchive.js';

/**
 * The times a point was meant to be recorded and was not (its ffmpeg or the recorder
 * died, its run could not start): each opens when it is found, in the timeline as
 * `recording-interrupted`, and closes when the point is recorded again, as
 * `recording-resumed` with how long it lasted. verify reads them from the timeline.
 */
export class RecordingGaps {
  readonly #session: Session;
  readonly #log: Logger;
  readonly #open = new Map<string, { since: number; reason: string }>();

  constructor(session: Session, log: Logger) {
    this.#session = session;
    this.#log = log;
  }

  /**
   * A run of `key` stopped recording: the gap opens now unless one is open already.
   * `name`: the run that died (absent when none could start); its death is always
   * recorded, a failed start only when it opens the gap.
   */
  interrupted(
    key: string,
    where: { pointId: string; group: Group; name?: string },
    reason: string,
  ): void {
    const opening = !this.#open.has(key);
    if (opening) {
      this.#open.set(key, { since: Date.now(), reason });
    }
    if (opening || where.name !== undefined) {
      this.#session.record('recording-interrupted', {
        pointId: where.pointId,
        detail: {
          kind: where.group,
          ...(where.name !== undefined ? { name: where.name } : {}),
          reason,
        },
      });
    }
  }

  /** `key` is recorded again (by run `name`, from `startedAt`): its gap, if any, closes. */
  resumed(
    key: string,
    where: { pointId: string; group: Group; name: string },
    startedAt: Date,
  ): void {
    const gap = this.#open.get(key);
    if (!gap) {
      return;
    }
    this.#open.delete(key);
    const gapMs = startedAt.getTime() - gap.since;
    this.#session.record('recording-resumed', {
      pointId: where.pointId,
      detail: { kind: where.group, name: where.name, gapMs, after: gap.reason },
    });
    this.#log.warn(
      { pointId: where.pointId, group: where.group, gapMs },
      'recording resumed after a gap',
    );
  }
}
