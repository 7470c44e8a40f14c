/**
 * The clean end of an ffmpeg reading RTP from an SDP: an RTCP BYE on every stream's RTCP
 * port. ffmpeg's SDP demuxer takes a BYE on each of its streams as the end of its input,
 * flushes what it holds and writes the file's trailer (duration, cues). A signal cannot
 * do that for an ffmpeg whose point has left: starved of packets it sits in its read,
 * only a second SIGINT breaks it, and that interrupts the trailer too, losing the last
 * packets the muxer held and the file's index.
 */
import dgram from 'node:dgram';

/** RR with no report blocks, then BYE: a compound RTCP packet (ffmpeg wants ≥ 12 bytes). */
function byePacket(ssrc: number): Buffer {
  const packet = Buffer.alloc(16);
  packet.writeUInt8(0x80, 0); // V=2, RC=0
  packet.writeUInt8(201, 1); // RR
  packet.writeUInt16BE(1, 2);
  packet.writeUInt32BE(ssrc, 4);
  packet.writeUInt8(0x81, 8); // V=2, SC=1
  packet.writeUInt8(203, 9); // BYE
  packet.writeUInt16BE(1, 10);
  packet.writeUInt32BE(ssrc, 12);
  return packet;
}

/** Sends a BYE to each of `ports` on 127.0.0.1 (each once more 100 ms later: UDP). */
export async function sendRtcpBye(ports: readonly number[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const packet = byePacket(0x64636175); // "dcau"
  const sendAll = (): Promise<unknown> =>
    Promise.all(
      ports.map(
        (port) =>
          new Promise<void>((resolve) => socket.send(packet, port, '127.0.0.1', () => resolve())),
      ),
    );
  try {
    await sendAll();
    await new Promise((r) => setTimeout(r, 100));
    await sendAll();
  } finally {
    socket.close();
  }
}
