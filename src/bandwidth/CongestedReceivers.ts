/**
 * Receivers whose own line is narrower than their configured downlink. When a good
 * share of what the SFU sends one is resent (RTX: its line loses what it is sent), the
 * plan keeps it under its bandwidth estimate from then on, and lets it climb back a few
 * per cent a second. Without this a delegate on a 1.5 Mbit/s line, planned for 5, was
 * sent twice its line, half of it in resends, all of it across the central link.
 * Nothing is capped for a receiver that never lost: a bandwidth estimate grows only
 * with traffic, and planning a new receiver under its first estimate would keep a
 * shared screen from it.
 */
export const RTX_CONGESTED_SHARE = 0.15;
/** Below this a receiver's figures say nothing (kbit/s sent to it). */
const MIN_SENT_KBPS = 200;
/** How fast a capped receiver's cap climbs back, per second. */
export const RECOVERY_PER_S = 0.03;

export interface ReceivedSecond {
  /** What its receiving transports were sent over the last second, resends included. */
  sentKbps: number;
  rtxKbps: number;
  /** mediasoup's bandwidth estimate of its line (0: none). */
  estimateKbps: number;
}

export class CongestedReceivers {
  readonly #caps = new Map<string, { kbps: number; at: number }>();

  /** A receiver's last second: losing much of it caps its plan at its estimate. */
  observe(pointId: string, second: ReceivedSecond, now: number): void {
    if (second.sentKbps < MIN_SENT_KBPS || second.rtxKbps < second.sentKbps * RTX_CONGESTED_SHARE) {
      return;
    }
    // Its estimate, or without one a fifth under what got through besides the resends.
    const took = (second.sentKbps - second.rtxKbps) * 0.8;
    const kbps = second.estimateKbps > 0 ? Math.min(second.estimateKbps, second.sentKbps) : took;
    this.#caps.set(pointId, { kbps, at: now });
  }

  /** The most its plan may send it now, sound included (kbit/s); Infinity: no cap. */
  capOf(pointId: string, now: number): number {
    const cap = this.#caps.get(pointId);
    if (!cap) {
      return Infinity;
    }
    return cap.kbps * (1 + (RECOVERY_PER_S * Math.max(0, now - cap.at)) / 1000);
  }

  /** Forgets receivers no longer there, and caps climbed back past `most`. */
  keep(pointIds: ReadonlySet<string>, now: number, most: (pointId: string) => number): void {
    for (const id of [...this.#caps.keys()]) {
      if (!pointIds.has(id) || this.capOf(id, now) >= most(id)) {
        this.#caps.delete(id);
      }
    }
  }
}
