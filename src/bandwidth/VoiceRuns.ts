/**
 * When each point's voice started, as the audio level observer hears it: a run of
 * speech, with the pauses between words inside it. The speaker detection names the
 * loudest only a second or more after its first word; a new speaker's hold is timed
 * from that word, so a point that has already spoken for the hold takes the stage as
 * soon as it is named, and its trickling layers are back in full before it is.
 */

/** A silence longer than this ends a run (pauses between words are shorter), ms. */
export const VOICE_RUN_GAP_MS = 800;
/**
 * A run is a voice once it has lasted this long (ms): a cough or a click on a microphone
 * near the threshold wakes no layers.
 */
export const VOICE_MIN_MS = 200;

interface Run {
  since: number;
  last: number;
  voice: boolean;
}

export class VoiceRuns {
  readonly #runs = new Map<string, Run>();

  /**
   * A level above the threshold heard from `pointId`, there since `now` (the start of
   * the interval it was measured over); true when it makes its run a voice.
   */
  heard(pointId: string, now: number): boolean {
    const run = this.#runs.get(pointId);
    if (!run || now - run.last > VOICE_RUN_GAP_MS) {
      this.#runs.set(pointId, { since: now, last: now, voice: false });
      return false;
    }
    run.last = now;
    if (!run.voice && now - run.since >= VOICE_MIN_MS) {
      run.voice = true;
      return true;
    }
    return false;
  }

  /** When the point's voice started, if it is speaking now; else null. */
  since(pointId: string, now: number): number | null {
    const run = this.#runs.get(pointId);
    return run?.voice && now - run.last <= VOICE_RUN_GAP_MS ? run.since : null;
  }

  /**
   * When the point's current run of levels began, a voice yet or not: once the speaker
   * detection has named it, its first level was its first word.
   */
  runSince(pointId: string, now: number): number | null {
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
