import { DiemcauError } from './types.js';

type Pending = {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

export interface SignalingHandlers {
  notification(method: string, data: unknown): void;
  /** The socket closed (by either side); pending requests have been rejected. */
  closed(code: number, reason: string): void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const OPEN_TIMEOUT_MS = 10_000;

/** One WebSocket to `/ws`: requests with ids, their responses, and notifications. */
export class SignalingClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  static open(url: string, handlers: SignalingHandlers): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => {
        socket.close();
        reject(new DiemcauError('DC_ERR_CONNECT_TIMEOUT', 'The server did not answer in time'));
      }, OPEN_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(new SignalingClient(socket, handlers));
      };
      socket.onerror = () => undefined;
      socket.onclose = (event) => {
        clearTimeout(timer);
        reject(
          new DiemcauError('DC_ERR_CONNECT_FAILED', `Cannot reach the server (${event.code})`),
        );
      };
    });
  }

  private constructor(socket: WebSocket, handlers: SignalingHandlers) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      let message: {
        id?: number;
        ok?: boolean;
        data?: unknown;
        method?: string;
        error?: { code: string; message: string };
      };
      try {
        message = JSON.parse(String(event.data)) as typeof message;
      } catch {
        return;
      }
      if (typeof message.id === 'number') {
        const pending = this.#pending.get(message.id);
        if (!pending) {
          return;
        }
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) {
          pending.resolve(message.data);
        } else {
          pending.reject(
            new DiemcauError(message.error?.code ?? 'DC_ERR_UNKNOWN', message.error?.message ?? ''),
          );
        }
      } else if (typeof message.method === 'string') {
        handlers.notification(message.method, message.data);
      }
    };
    socket.onclose = (event) => {
      this.#closed = true;
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(
          new DiemcauError('DC_ERR_DISCONNECTED', 'The connection to the server was lost'),
        );
      }
      this.#pending.clear();
      handlers.closed(event.code, event.reason);
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  request<T>(method: string, data: unknown = {}): Promise<T> {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new DiemcauError('DC_ERR_DISCONNECTED', 'Not connected to the server'));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new DiemcauError('DC_ERR_REQUEST_TIMEOUT', `${method} got no answer in time`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(id, { resolve: resolve as (d: unknown) => void, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, data }));
    });
  }

  close(code = 1000, reason = 'closed by client'): void {
    if (!this.#closed) {
      this.#socket.close(code, reason);
    }
  }
}
