import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { errorBody, errors } from '../../common/errors.js';
import { type ConnectionDeps, SignalingConnection } from './SignalingConnection.js';

/**
 * WebSocket signaling on `/ws` of the HTTP(S) server. Frames up to 4× the message limit
 * are read and answered with DC_ERR_FRAME_TOO_LARGE; anything bigger is cut off by ws
 * itself (close 1009) before it is buffered.
 */
export interface SignalingServerOptions extends ConnectionDeps {
  /** WebSockets one address may hold open at once; past it the upgrade gets 429. */
  maxConnectionsPerAddress: number;
}

export class SignalingServer {
  readonly #wss: WebSocketServer;
  /** Open WebSockets by remote address. */
  readonly #perAddress = new Map<string, number>();

  constructor(app: FastifyInstance, deps: SignalingServerOptions) {
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
      const address = req.socket.remoteAddress ?? 'unknown';
      const open = this.#perAddress.get(address) ?? 0;
      if (open >= deps.maxConnectionsPerAddress) {
        // Refused before a WebSocket exists: nothing of it is kept.
        socket.end(
          'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n' +
            JSON.stringify(
              errorBody(
                new errors.TOO_MANY_REQUESTS(
                  `at most ${deps.maxConnectionsPerAddress} connections from one address`,
                ),
              ),
            ),
        );
        return;
      }
      this.#perAddress.set(address, open + 1);
      let counted = true;
      const release = (): void => {
        if (counted) {
          counted = false;
          const left = (this.#perAddress.get(address) ?? 1) - 1;
          if (left > 0) {
            this.#perAddress.set(address, left);
          } else {
            this.#perAddress.delete(address);
          }
        }
      };
      socket.once('close', release);
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        ws.once('close', release);
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
