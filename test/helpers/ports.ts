import dgram from 'node:dgram';
import net from 'node:net';

/**
 * A block of `count` consecutive ports free on 127.0.0.1 for both UDP and TCP, so
 * test files running in parallel never fight over a worker's WebRtcServer port.
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let port = base; port < base + count && ok; port++) {
      ok = (await tcpFree(port)) && (await udpFree(port));
    }
    if (ok) {
      return base;
    }
  }
  throw new Error(`no block of ${count} free ports found`);
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () =>
      socket.close(() => resolve(true)),
    );
  });
}
