/**
 * When each point's voice started, as the audio level observer hears it: a run of
 * speech, with the pauses between words inside it. The speaker detection names the
 * loudest only a second or more after its first word; a new speaker's hold is timed
 * from that word, so a point that has already spoken for the hold takes the stage as
 * soon as it is named, and its stopped layers wake before it is.
 */

/** A silence longer than this ends a run (pauses between words are shorter), ms. */
export const VOICE_RUN_GAP_MS = 800;

export class VoiceRuns {
  readonly #runs = new Map<string, { since: number; last: number }>();

  /** A voice heard from `pointId`; returns whether it starts a new run. */
  heard(pointId: string, now: number): boolean {
    const run = this.#runs.get(pointId);
    if (run && now - run.last <= VOICE_RUN_GAP_MS) {
      run.last = now;
      return false;
    }
    this.#runs.set(pointId, { since: now, last: now });
    return true;
  }

  /** When the point's voice started, if it is speaking now; else null. */
  since(pointId: string, now: number): number | null {
    const run = this.#runs.get(pointId);
    return run && now - run.last <= VOICE_RUN_GAP_MS ? run.since : null;
  }

  /** Forgets the points that left. */
  keep(pointIds: ReadonlySet<string>): void {
    for (const id of this.#runs.keys()) {
      if (!pointIds.has(id)) {
        this.#runs.delete(id);
      }
    }
  }
}
