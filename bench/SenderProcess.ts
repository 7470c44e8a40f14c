/**
 * Synthetic points' senders and receivers' sink in a process of their own
 * (bench/senderProcessMain.ts): a bench that weighs the server's CPU against another's
 * must not weigh the load with it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { CameraSpec } from './rtpSenders.js';
import type { CameraSending } from './simulcastPublisher.js';
import type { RecordSpec, SenderReply, SenderRequest } from './senderProcessMain.js';

type Answer = Extract<SenderReply, { id: number }>;
type Request = SenderRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export class SenderProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: SenderReply) => void>();
  #next = 0;
  readonly sinkPort: number;

  private constructor(child: ChildProcess, sinkPort: number) {
    this.#child = child;
    this.sinkPort = sinkPort;
    child.on('message', (reply: SenderReply) => {
      if ('id' in reply) {
        this.#pending.get(reply.id)?.(reply);
        this.#pending.delete(reply.id);
      }
    });
  }

  static async start(): Promise<SenderProcess> {
    const child = fork(new URL('./senderProcessMain.js', import.meta.url), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const sinkPort = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sender process exited (${code})`)));
      child.on('message', (m: SenderReply) => {
        if ('ready' in m) {
          resolve(m.sinkPort);
        }
      });
    });
    return new SenderProcess(child, sinkPort);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** A camera sender in the process; resolves once it sends. */
  async camera(spec: CameraSpec): Promise<CameraSending> {
    const reply = await this.#request({ op: 'camera', spec });
    const camera = reply.camera as number;
    return {
      setMaxSpatialLayer: (maxSpatialLayer) =>
        void this.#request({ op: 'layers', camera, maxSpatialLayer }),
      // Its senders stop with the process.
      close: () => undefined,
    };
  }

  /** A point recorded by an ffmpeg this process runs; resolves with its pid once it listens. */
  async record(spec: RecordSpec): Promise<number> {
    const reply = await this.#request({ op: 'record', spec });
    return reply.pid as number;
  }

  /** Ends the process (its senders, its sink, its recordings finished); resolves once it has exited. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) {
      child.disconnect();
    }
    await exited;
  }

  #request(request: Request): Promise<Answer> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (reply) => {
        if ('id' in reply && reply.error) {
          reject(new Error(reply.error));
        } else {
          resolve(reply as Answer);
        }
      });
      this.#child.send({ ...request, id });
    });
  }
}
