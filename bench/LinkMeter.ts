/**
 * A room's media across the link, window by window: what the server sent each point
 * (its receiving transports' bytes sent) and what the points sent it (their sending
 * transports' bytes received), as mediasoup counts them, each as a rate over the time
 * between that transport's own two readings. A loop that asks "about every second"
 * gets windows of 1.0–1.2 s, and a longer window's bytes are not a higher rate; and
 * read one after the other, the transports' readings spread over a third of a second on
 * a busy machine, so a transport read late in one window and early in the one before
 * counted 1.3 s of bytes as a second's (a window "at 35 Mbit/s" that mediasoup's own
 * rate put at 26). They are read at once now, and each timed as its answer arrives. A
 * transport's first window has no "before" and counts nothing.
 */
import type { types } from 'mediasoup';
import type { Room } from '../src/sfu/Room.js';
import { isRecvTransport } from '../src/sfu/mediaLookups.js';

export interface LinkWindow {
  /** kbit/s sent to each point over the window, by point id. */
  sentKbps: Map<string, number>;
  /** kbit/s the points sent the server over the window. */
  receivedKbps: number;
}

interface Reading {
  bytes: number;
  /** performance.now() when the worker's answer arrived. */
  at: number;
}

export class LinkMeter {
  readonly #last = new Map<string, Reading>();

  async window(room: Room): Promise<LinkWindow> {
    const peers = [...room.peers.values()];
    const readings = await Promise.all(
      peers.flatMap((peer) =>
        [...peer.transports.values()].map(async (transport) => {
          const receiving = isRecvTransport(transport);
          const stats = (await transport.getStats().catch(() => null)) as
            { bytesSent: number; bytesReceived: number }[] | null;
          const s = stats?.[0];
          const at = performance.now();
          return {
            pointId: peer.pointId,
            transport,
            receiving,
            // A failed read (the transport closing) is no reading: the last one stands.
            reading: s ? { bytes: receiving ? s.bytesSent : s.bytesReceived, at } : null,
          };
        }),
      ),
    );
    const sentKbps = new Map<string, number>(peers.map((p) => [p.pointId, 0]));
    let receivedKbps = 0;
    for (const { pointId, transport, receiving, reading } of readings) {
      const kbps = reading ? this.#rate(transport, reading) : null;
      if (kbps === null) {
        continue;
      }
      if (receiving) {
        sentKbps.set(pointId, (sentKbps.get(pointId) ?? 0) + kbps);
      } else {
        receivedKbps += kbps;
      }
    }
    return { sentKbps, receivedKbps };
  }

  /** kbit/s since this transport's last reading (null on its first). */
  #rate(transport: types.Transport, now: Reading): number | null {
    const before = this.#last.get(transport.id);
    this.#last.set(transport.id, now);
    if (!before) {
      return null;
    }
    const seconds = Math.max(0.001, (now.at - before.at) / 1000);
    return ((now.bytes - before.bytes) * 8) / 1000 / seconds;
  }
}
