/**
 * A bench's helper process, driven over Node's IPC channel: it says when it is ready,
 * answers each request by its id, and ends when the channel closes (the bench ending,
 * or dying, leaves nothing running). The side that forks holds a ChildChannel; the
 * forked side calls `answerRequests`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/** How long a closed helper has to finish its work (recordings included) and exit (ms). */
const CLOSE_GRACE_MS = 30_000;

/** What the forked side sends: its ready message, or an answer. */
type Message<Ready> = { ready: Ready } | ({ id: number; error?: string } & Record<string, unknown>);

export class ChildChannel<Request extends object, Answer, Ready> {
  readonly #child: ChildProcess;
  readonly #module: string;
  readonly #pending = new Map<number, (message: Message<Ready>) => void>();
  #next = 0;
  readonly ready: Ready;

  private constructor(child: ChildProcess, module: URL, ready: Ready) {
    this.#child = child;
    this.#module = path.basename(module.pathname);
    this.ready = ready;
    child.on('message', (message: Message<Ready>) => {
      if ('id' in message) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      }
    });
  }

  /** Forks `module`; resolves with its first message, fails if it ends before. */
  static async start<Request extends object, Answer, Ready>(
    module: URL,
  ): Promise<ChildChannel<Request, Answer, Ready>> {
    const child = fork(module, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<Ready>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${module.pathname} exited (${code})`)));
      child.on('message', (m: Message<Ready>) => {
        if ('ready' in m) {
          resolve((m as { ready: Ready }).ready);
        }
      });
    });
    return new ChildChannel<Request, Answer, Ready>(child, module, ready);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  request(request: Request): Promise<Answer> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (message) => {
        if ('error' in message && message.error) {
          reject(new Error(message.error));
        } else {
          resolve(message as Answer);
        }
      });
      this.#child.send({ ...request, id });
    });
  }

  /**
   * Closes the channel, which ends the process; resolves once it has exited. One that has
   * not within `graceMs` is killed: a load process was once seen hung inside Node's own
   * exit (its main thread waiting on a lock, its work done), which held the bench for ever.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) {
      child.disconnect();
    }
    const kill = setTimeout(() => {
      console.log(`warning: ${this.#module} did not exit within ${graceMs} ms: killed`);
      child.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(kill);
  }
}

/**
 * The forked side: answers each request with what `answer` returns (or its error),
 * sends `ready`, and on the channel's end runs `end`, then exits.
 */
export function answerRequests<Request extends object>(
  answer: (request: Request) => Promise<Record<string, unknown>>,
  end: () => Promise<unknown>,
  ready: unknown,
): void {
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on('message', (message: Request & { id: number }) => {
    answer(message).then(
      (fields) => send({ ...fields, id: message.id }),
      (e: unknown) => send({ id: message.id, error: String(e) }),
    );
  });
  process.on('disconnect', () => {
    void end().finally(() => process.exit(0));
  });
  send({ ready });
}
