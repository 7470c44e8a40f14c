import dgram from 'node:dgram';
import { freePortBlock } from './ports.js';
import { startsVp8Picture } from './vp8Rtp.js';

/** An RTP packet on its way through the relay. */
export interface RelayedPacket {
  seq: number;
  payloadType: number;
  /** The first packet of a VP8 picture (descriptor S bit, partition 0). */
  startsPicture: boolean;
}

/** What happens to a packet: passed on, lost, or passed on late. */
export type RelayVerdict = 'pass' | 'drop' | { holdMs: number };

export interface LossyRelay {
  /** Where mediasoup sends RTP; RTCP goes to `rtcpPort`. */
  readonly port: number;
  readonly rtcpPort: number;
  /** Every SSRC that came through: one stream per m-line is all ffmpeg can read. */
  readonly ssrcs: Set<number>;
  /** Sequence numbers lost, and held back. */
  readonly dropped: number[];
  readonly held: number[];
  close(): void;
}

/**
 * A UDP hop on 127.0.0.1 between a mediasoup PlainTransport and an RTP receiver, which
 * loses or delays the packets `verdict` picks (as a congested link or a starved socket
 * does) and carries RTCP both ways, from the ports each side expects.
 */
export async function lossyRelay(
  target: { port: number; rtcpPort: number },
  verdict: (packet: RelayedPacket) => RelayVerdict,
): Promise<LossyRelay> {
  const port = await freePortBlock(2);
  const rtp = dgram.createSocket('udp4');
  const rtcp = dgram.createSocket('udp4');
  await Promise.all([
    new Promise<void>((resolve) => rtp.bind(port, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => rtcp.bind(port + 1, '127.0.0.1', resolve)),
  ]);
  const dropped: number[] = [];
  const held: number[] = [];
  const ssrcs = new Set<number>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  let senderRtcp: number | null = null;

  rtp.on('message', (msg) => {
    if (msg.length < 12) {
      return;
    }
    const seq = msg.readUInt16BE(2);
    ssrcs.add(msg.readUInt32BE(8));
    const v = verdict({
      seq,
      payloadType: (msg[1] ?? 0) & 0x7f,
      startsPicture: startsVp8Picture(msg),
    });
    if (v === 'drop') {
      dropped.push(seq);
    } else if (v === 'pass') {
      rtp.send(msg, target.port, '127.0.0.1');
    } else {
      held.push(seq);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) {
          rtp.send(msg, target.port, '127.0.0.1');
        }
      }, v.holdMs);
      timers.add(timer);
    }
  });
  rtcp.on('message', (msg, from) => {
    if (from.port !== target.rtcpPort) {
      senderRtcp = from.port;
      rtcp.send(msg, target.rtcpPort, '127.0.0.1');
    } else if (senderRtcp !== null) {
      rtcp.send(msg, senderRtcp, '127.0.0.1');
    }
  });
  return {
    port,
    rtcpPort: port + 1,
    ssrcs,
    dropped,
    held,
    close: () => {
      closed = true;
      timers.forEach(clearTimeout);
      rtp.close();
      rtcp.close();
    },
  };
}
