/**
 * Synthetic points' senders and receivers' sink in a process of their own
 * (bench/senderProcessMain.ts): a bench that weighs the server's CPU against another's
 * must not weigh the load with it.
 */
import { ChildChannel } from './ChildChannel.js';
import type { CameraSpec } from './rtpSenders.js';
import type { CameraSending } from './simulcastPublisher.js';
import type { RecordSpec, SenderAnswer, SenderReady, SenderRequest } from './senderProcessMain.js';

export class SenderProcess {
  readonly #channel: ChildChannel<SenderRequest, SenderAnswer, SenderReady>;

  private constructor(channel: ChildChannel<SenderRequest, SenderAnswer, SenderReady>) {
    this.#channel = channel;
  }

  static async start(): Promise<SenderProcess> {
    return new SenderProcess(
      await ChildChannel.start<SenderRequest, SenderAnswer, SenderReady>(
        new URL('./senderProcessMain.js', import.meta.url),
      ),
    );
  }

  get pid(): number {
    return this.#channel.pid;
  }

  get sinkPort(): number {
    return this.#channel.ready.sinkPort;
  }

  /** A camera sender in the process; resolves once it sends. */
  async camera(spec: CameraSpec): Promise<CameraSending> {
    const camera = (await this.#channel.request({ op: 'camera', spec })).camera as number;
    return {
      setMaxSpatialLayer: (maxSpatialLayer) =>
        void this.#channel.request({ op: 'layers', camera, maxSpatialLayer }),
      // Its senders stop with the process.
      close: () => undefined,
    };
  }

  /** A point recorded by an ffmpeg this process runs; resolves with its pid once it listens. */
  async record(spec: RecordSpec): Promise<number> {
    return (await this.#channel.request({ op: 'record', spec })).pid as number;
  }

  /** Ends the process (its senders, its sink, its recordings finished); resolves once it has exited. */
  close(): Promise<void> {
    return this.#channel.close();
  }
}
