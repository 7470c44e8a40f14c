/**
 * A room's media across the link, window by window: what the server sent each point
 * (its receiving transports' bytes sent) and what the points sent it (their sending
 * transports' bytes received), as mediasoup counts them. A transport's first window
 * has no "before" and counts nothing.
 */
import type { Room } from '../src/sfu/Room.js';

export interface LinkWindow {
  /** kbit sent to each point in the window, by point id. */
  sentKbit: Map<string, number>;
  /** kbit the points sent the server in the window. */
  receivedKbit: number;
}

export class LinkMeter {
  readonly #counters = new Map<string, number>();

  async window(room: Room): Promise<LinkWindow> {
    const sentKbit = new Map<string, number>();
    let receivedKbit = 0;
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
        const kbit = ((value - before) * 8) / 1000;
        if (receiving) {
          sent += kbit;
        } else {
          receivedKbit += kbit;
        }
      }
      sentKbit.set(peer.pointId, sent);
    }
    return { sentKbit, receivedKbit };
  }
}
