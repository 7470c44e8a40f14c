/**
 * The session-cost bench's yardstick, bare mediasoup's session (bench/BareSession.ts),
 * run in a process of its own (bench/bareProcessMain.ts) so that its Node's CPU is
 * measured as its own.
 */
import { ChildChannel } from './ChildChannel.js';
import type { BareBytes, BareRequest, BareStart, BareStarted } from './bareProcessMain.js';

type Channel = ChildChannel<BareRequest, BareStarted | BareBytes, object>;

export class BareProcess {
  readonly #channel: Channel;
  readonly started: BareStarted;

  private constructor(channel: Channel, started: BareStarted) {
    this.#channel = channel;
    this.started = started;
  }

  /** Its session with every point publishing, recorded and received; closed if that fails. */
  static async start(spec: BareStart): Promise<BareProcess> {
    const channel: Channel = await ChildChannel.start(
      new URL('./bareProcessMain.js', import.meta.url),
    );
    try {
      const started = (await channel.request({ op: 'start', ...spec })) as BareStarted;
      return new BareProcess(channel, started);
    } catch (err) {
      await channel.close();
      throw err;
    }
  }

  /** Its Node process. */
  get pid(): number {
    return this.#channel.pid;
  }

  /** Bytes its points sent in and were sent, so far. */
  async bytes(): Promise<BareBytes> {
    const { received, sent } = (await this.#channel.request({ op: 'bytes' })) as BareBytes;
    return { received, sent };
  }

  /** Ends it: its session, its load (its recordings finished), its worker. */
  close(): Promise<void> {
    return this.#channel.close();
  }
}
