/**
 * A room's media across the link, window by window: what the server sent each point
 * (its receiving transports' bytes sent) and what the points sent it (their sending
 * transports' bytes received), as mediasoup counts them, as rates over the window's
 * measured length (a loop that asks "about every second" gets windows of 1.0–1.2 s,
 * and a longer window's bytes are not a higher rate). A transport's first window has
 * no "before" and counts nothing.
 */
import type { Room } from '../src/sfu/Room.js';

export interface LinkWindow {
  /** kbit/s sent to each point over the window, by point id. */
  sentKbps: Map<string, number>;
  /** kbit/s the points sent the server over the window. */
  receivedKbps: number;
}

export class LinkMeter {
  readonly #counters = new Map<string, number>();
  #lastAt: number | null = null;

  async window(room: Room): Promise<LinkWindow> {
    const now = performance.now();
    const seconds = this.#lastAt === null ? 1 : Math.max(0.001, (now - this.#lastAt) / 1000);
    this.#lastAt = now;
    const sentKbps = new Map<string, number>();
    let receivedKbps = 0;
    for (const peer of room.peers.values()) {
      let sent = 0;
      for (const transport of peer.transports.values()) {
        const receiving = (transport.appData as { direction?: string }).direction === 'recv';
        const [s] = (await transport.getStats().catch(() => [])) as {
          bytesSent: number;
          bytesReceived: number;
        }[];
        const key = transport.id;
        const value = receiving ? (s?.bytesSent ?? 0) : (s?.bytesReceived ?? 0);
        const before = this.#counters.get(key);
        this.#counters.set(key, value);
        if (before === undefined) {
          continue;
        }
        const kbps = ((value - before) * 8) / 1000 / seconds;
        if (receiving) {
          sent += kbps;
        } else {
          receivedKbps += kbps;
        }
      }
      sentKbps.set(peer.pointId, sent);
    }
    return { sentKbps, receivedKbps };
  }
}
