import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { type ConnectionDeps, SignalingConnection } from './SignalingConnection.js';

/**
 * WebSocket signaling on `/ws` of the HTTP(S) server. Frames up to 4× the message limit
 * are read and answered with DC_ERR_FRAME_TOO_LARGE; anything bigger is cut off by ws
 * itself (close 1009) before it is buffered.
 */
export class SignalingServer {
  readonly #wss: WebSocketServer;

  constructor(app: FastifyInstance, deps: ConnectionDeps) {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.maxMessageBytes * 4,
      perMessageDeflate: false,
    });
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws') {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        new SignalingConnection(
          ws,
          deps,
          req.socket.remoteAddress ?? 'unknown',
          url.searchParams.get('token'),
        );
      });
    });
  }

  get connections(): number {
    return this.#wss.clients.size;
  }

  /** Tells every client the server is going away (1001), then stops accepting. */
  close(): Promise<void> {
    for (const client of this.#wss.clients) {
      client.close(1001, 'server shutting down');
    }
    return new Promise((resolve) => {
      // A client that does not answer its close frame within 2 s is cut off.
      const timer = setTimeout(() => {
        for (const client of this.#wss.clients) {
          client.terminate();
        }
      }, 2000);
      this.#wss.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
