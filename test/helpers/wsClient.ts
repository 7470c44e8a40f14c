import WebSocket from 'ws';
import type { WireError } from '../../protocol/errors.js';
import type {
  NotificationMethod,
  RequestOf,
  ResultOf,
  SignalingMethod,
  SignalingNotifications,
} from '../../protocol/signaling.js';

/** A response as it arrives: the protocol's shape, read loosely (abuse tests send anything). */
export interface WireResponse {
  id: number | null;
  ok: boolean;
  data?: unknown;
  error?: WireError;
}

export interface WireNotification<N extends NotificationMethod = NotificationMethod> {
  method: N;
  data: SignalingNotifications[N];
}

/** A raw signaling client speaking the wire protocol, for protocol and abuse tests. */
export class WsClient {
  readonly socket: WebSocket;
  readonly responses: WireResponse[] = [];
  readonly notifications: WireNotification[] = [];
  closeCode: number | null = null;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  static async open(url: string): Promise<WsClient> {
    // Listen before the socket opens: the server may speak in the same packet as its handshake.
    const client = new WsClient(new WebSocket(url));
    await new Promise<void>((resolve, reject) => {
      client.socket.once('open', () => resolve());
      client.socket.once('error', reject);
    });
    return client;
  }

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as WireResponse &
        WireNotification;
      if ('ok' in message) {
        this.responses.push(message);
      } else {
        this.notifications.push(message);
      }
      this.#wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
  }

  /** A request as the protocol types it; rejects with the coded error. */
  async request<M extends SignalingMethod>(
    method: M,
    ...[data]: keyof RequestOf<M> extends never ? [RequestOf<M>?] : [RequestOf<M>]
  ): Promise<ResultOf<M>> {
    const response = await this.call(method, data ?? {});
    if (!response.ok) {
      throw Object.assign(new Error(response.error?.message), { code: response.error?.code });
    }
    return response.data as ResultOf<M>;
  }

  /** Sends a request and returns its response, successful or not. */
  async call(method: string, data: unknown = {}): Promise<WireResponse> {
    const id = this.#nextId++;
    const before = this.responses.length;
    this.socket.send(JSON.stringify({ id, method, data }));
    return this.waitFor(() => this.responses.slice(before).find((r) => r.id === id));
  }

  /** Sends anything (text or binary) and returns the next response that arrives. */
  async sendRaw(payload: string | Buffer, binary = false): Promise<WireResponse> {
    const before = this.responses.length;
    this.socket.send(payload, { binary });
    return this.waitFor(() => this.responses[before]);
  }

  waitForNotification<N extends NotificationMethod>(
    method: N,
    timeoutMs = 5000,
  ): Promise<WireNotification<N>> {
    return this.waitFor(
      () => this.notifications.find((n): n is WireNotification<N> => n.method === method),
      timeoutMs,
    );
  }

  async waitFor<T>(find: () => T | undefined, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) {
        return found;
      }
      if (this.closeCode !== null) {
        throw new Error(`connection closed (${this.closeCode})`);
      }
      if (Date.now() > deadline) {
        throw new Error('timed out waiting for the server');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }

  #wake(): void {
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) {
      w();
    }
  }
}

/** RTP parameters a browser would send for an Opus microphone. */
export const OPUS_RTP_PARAMETERS = {
  codecs: [
    {
      mimeType: 'audio/opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      parameters: {},
      rtcpFeedback: [],
    },
  ],
  encodings: [{ ssrc: 11111111 }],
  headerExtensions: [],
  rtcp: { cname: 'test', reducedSize: true },
};
