import type { Allocation, Layers, Rank } from './allocate.js';

export interface SmoothingOptions {
  /** Ticks a lower plan must hold before a consumer is stepped down. */
  downTicks: number;
  /** Ticks a higher plan must hold before a consumer is stepped up. */
  upTicks: number;
  /** No step up within this long of a step down, ms. */
  upHoldMs: number;
}

/** Plans closer than this (a nudge just before a tick) do not count towards a streak. */
const MIN_PLAN_INTERVAL_MS = 800;

export const DEFAULT_SMOOTHING: SmoothingOptions = { downTicks: 2, upTicks: 3, upHoldMs: 10_000 };

interface State {
  applied: Layers | null;
  rank: Rank;
  /** The page's wish at the last plan, as a key. */
  wish: string;
  downStreak: number;
  upStreak: number;
  lastDownAt: number;
}

/**
 * Turns each tick's plan into what is applied: down fast, up slowly, never flapping.
 * A step down waits `downTicks` plans (a one-tick dip of the measured costs is noise); a
 * step up waits `upTicks` plans and `upHoldMs` after the last step down, so a layer
 * that just did not fit is not retried every second (each retry costs a keyframe).
 * A feed that changes rank (a new speaker on the stage, the old one back in the strip)
 * moves at once, both ways in the same tick: the plan already waited for the speaker to
 * hold. So does a consumer whose page changed its wish (its tile grew or shrank): a page
 * takes the new speaker onto its stage at its own moment, often just after the plan
 * that staged it, and its picture must not then wait out the slow way up. Whenever
 * something rises at once (a new rank, a new wish, a new consumer), every step down the
 * plan made room with goes in the same tick too: else the link would overrun.
 */
export class LayerSmoother {
  readonly #options: SmoothingOptions;
  readonly #states = new Map<string, State>();
  #lastPlanAt = -Infinity;

  constructor(options: SmoothingOptions = DEFAULT_SMOOTHING) {
    this.#options = options;
  }

  /**
   * The layers to apply now, per consumer; a consumer absent from the plan is forgotten.
   * `overrun`: what is applied now is far over the budget (not a one-tick dip): every
   * step down goes at once.
   */
  next(plan: readonly Allocation[], now: number, overrun = false): Map<string, Layers | null> {
    // A plan soon after the last (a new speaker's nudge) moves what changed rank, and
    // counts for nothing else: streaks count seconds' figures, not plans.
    const counts = now - this.#lastPlanAt >= MIN_PLAN_INTERVAL_MS;
    if (counts) {
      this.#lastPlanAt = now;
    }
    const out = new Map<string, Layers | null>();
    const seen = new Set<string>();
    const waiting: { a: Allocation; s: State }[] = [];
    let rose = false;
    for (const a of plan) {
      seen.add(a.consumerId);
      const s = this.#states.get(a.consumerId);
      if (!s) {
        // A new consumer starts where the plan puts it.
        this.#states.set(a.consumerId, {
          applied: a.layers,
          rank: a.rank,
          wish: wishKey(a.wish),
          downStreak: 0,
          upStreak: 0,
          lastDownAt: -Infinity,
        });
        rose ||= a.layers !== null;
        continue;
      }
      const c = compare(a.layers, s.applied);
      const wish = wishKey(a.wish);
      if (a.rank !== s.rank || wish !== s.wish) {
        s.rank = a.rank;
        s.wish = wish;
        if (c < 0) {
          s.lastDownAt = now;
        }
        rose ||= c > 0;
        s.applied = a.layers;
        s.downStreak = 0;
        s.upStreak = 0;
      } else if (c !== 0) {
        waiting.push({ a, s });
      } else {
        s.downStreak = 0;
        s.upStreak = 0;
      }
    }
    for (const { a, s } of waiting) {
      if (compare(a.layers, s.applied) < 0) {
        s.upStreak = 0;
        // What rose at once this plan made room by lowering these: they go with it.
        if (rose || overrun || (counts && ++s.downStreak >= this.#options.downTicks)) {
          s.applied = a.layers;
          s.downStreak = 0;
          s.lastDownAt = now;
        }
      } else {
        s.downStreak = 0;
        if (
          counts &&
          ++s.upStreak >= this.#options.upTicks &&
          now - s.lastDownAt >= this.#options.upHoldMs
        ) {
          s.applied = a.layers;
          s.upStreak = 0;
        }
      }
    }
    for (const a of plan) {
      out.set(a.consumerId, this.#states.get(a.consumerId)?.applied ?? null);
    }
    for (const id of this.#states.keys()) {
      if (!seen.has(id)) {
        this.#states.delete(id);
      }
    }
    return out;
  }
}

const wishKey = (wish: Layers | null): string =>
  wish ? `${wish.spatial}:${wish.temporal}` : 'any';

/** Orders layers: paused below any layer; a larger picture above a higher frame rate. */
export function compare(a: Layers | null, b: Layers | null): number {
  if (a === null || b === null) {
    return (a === null ? 0 : 1) - (b === null ? 0 : 1);
  }
  return a.spatial - b.spatial || a.temporal - b.temporal;
}
