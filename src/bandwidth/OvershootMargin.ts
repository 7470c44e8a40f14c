/**
 * What the link must keep free besides the configured headroom, learnt from the link
 * itself: when it carried more than the plan (mediasoup's rate of what the receiving
 * transports sent over the last second), by more than the headroom, that much more is
 * kept free from then on, fading by half in about 20 s and never more than a fifth of
 * the link. Keyframes of a switch, a slide change on a shared screen, a layer that drops
 * only at its next keyframe: bursts that no moving average of layer costs sees coming,
 * and that a 10 Mbit/s link's 1 Mbit/s headroom cannot hold.
 */
export const MARGIN_FADE_PER_S = 0.966;
export const MAX_MARGIN_SHARE = 0.2;

export interface LinkLimits {
  linkKbps: number;
  headroomPct: number;
}

export class OvershootMargin {
  #kbps = 0;
  #fadedAt: number | null = null;
  /** The last two plans: a layer changes at its keyframe, so the last second may carry either. */
  #plans: number[] = [];

  /** The margin to keep free now, given what the link carried over the last second. */
  learn(sentKbps: number, limits: LinkLimits, now: number): number {
    if (this.#fadedAt !== null && this.#plans.length > 0) {
      const fade = MARGIN_FADE_PER_S ** (Math.max(0, now - this.#fadedAt) / 1000);
      const beyond =
        sentKbps - Math.max(...this.#plans) - (limits.linkKbps * limits.headroomPct) / 100;
      this.#kbps = Math.min(
        Math.max(beyond, this.#kbps * fade),
        limits.linkKbps * MAX_MARGIN_SHARE,
      );
    }
    this.#fadedAt = now;
    return this.#kbps;
  }

  /** The plan put in force: what the link should carry from now on. */
  planned(kbps: number): void {
    this.#plans = [...this.#plans.slice(-1), kbps];
  }
}
