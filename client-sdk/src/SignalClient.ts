import type { ErrorCode } from '../../protocol/errors.js';
import type {
  Notification,
  RequestOf,
  ResultOf,
  SignalingMethod,
  WireResponse,
} from '../../protocol/signaling.js';
import { DiemcauError } from './types.js';

type Pending = {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

export interface SignalHandlers {
  notification(notification: Notification): void;
  /** The socket closed (by either side); pending requests have been rejected. */
  closed(code: number, reason: string): void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const OPEN_TIMEOUT_MS = 10_000;

/**
 * One WebSocket to `/ws`, speaking the protocol (protocol/signaling.ts): requests typed
 * by method, their responses, and notifications handed on as the protocol's union.
 */
export class SignalClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  /** `url`: the server (`https://host:port`), or its `wss://…/ws`; default: this page's origin. */
  static open(url: string | undefined, handlers: SignalHandlers): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl(url));
      const timer = setTimeout(() => {
        socket.close();
        reject(new DiemcauError('DC_ERR_CONNECT_TIMEOUT', 'The server did not answer in time'));
      }, OPEN_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(new SignalClient(socket, handlers));
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

  private constructor(socket: WebSocket, handlers: SignalHandlers) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      let message: WireResponse | Notification;
      try {
        message = JSON.parse(String(event.data)) as WireResponse | Notification;
      } catch {
        return;
      }
      if ('ok' in message) {
        this.#settle(message);
      } else if (typeof message.method === 'string') {
        handlers.notification(message);
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

  request<M extends SignalingMethod>(method: M, data: RequestOf<M>): Promise<ResultOf<M>> {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new DiemcauError('DC_ERR_DISCONNECTED', 'Not connected to the server'));
    }
    const id = this.#nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
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

  #settle(message: WireResponse): void {
    if (message.id === null) {
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) {
      return;
    }
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) {
      pending.resolve(message.data);
    } else {
      const code: ErrorCode = message.error.code ?? 'DC_ERR_UNKNOWN';
      pending.reject(new DiemcauError(code, message.error.message ?? ''));
    }
  }
}

function wsUrl(url: string | undefined): string {
  const base = url ?? globalThis.location.origin;
  if (/^wss?:/.test(base)) {
    return base;
  }
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/ws';
  u.search = '';
  return u.toString();
}
