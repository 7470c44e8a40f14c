import dgram from 'node:dgram';
import net from 'node:net';

/** Whether a TCP port can be listened on at `host` right now. */
export function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether a UDP port can be bound at `host` right now. */
export function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * Where the recorder's ffmpegs listen: below Linux's ephemeral range (32768–60999), so no
 * socket the kernel hands out (a browser's, a client's) can take one between the check
 * and ffmpeg's bind; mediasoup's recording transports bind elsewhere
 * (RECORDING_TRANSPORT_PORTS).
 */
export const FFMPEG_PORTS = { min: 20_000, max: 32_766 } as const;

/** `count` consecutive ports free for UDP on 127.0.0.1 (RTP and RTCP pairs for ffmpeg). */
export async function freeUdpPorts(count: number): Promise<number> {
  const pairs = Math.floor((FFMPEG_PORTS.max - FFMPEG_PORTS.min - count) / 2);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = FFMPEG_PORTS.min + 2 * Math.floor(Math.random() * pairs);
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      ok = await udpFree('127.0.0.1', port);
    }
    if (ok) {
      return base;
    }
  }
  throw new Error(`no ${count} free UDP ports`);
}
