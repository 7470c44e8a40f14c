/**
 * Starts the recorder process, restarts it when it dies (at once, then with a growing
 * delay if it keeps dying), and carries requests to it. `/healthz` is 503 while it is
 * down: a central point must not hold a session it cannot record.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { errors } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { projectRoot } from '../../common/paths.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';
import type {
  RecorderAnswer,
  RecorderMessage,
  RecorderMethod,
  RecorderMethods,
} from '../../protocol/recorder.js';

export type RecorderSupervisorEvents = {
  /** The recorder process (re)started; `restart` is false the first time. */
  recorderup: [pid: number, restart: boolean];
  recorderdied: [pid: number, reason: string];
  message: [RecorderMessage];
};

export interface RecorderHealth {
  alive: boolean;
  pid: number | null;
  restarts: number;
}

type Pending = {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

const ENTRY = path.join(projectRoot, 'dist', 'recorder', 'main.js');
const REQUEST_TIMEOUT_MS = 15_000;

export class RecorderSupervisor extends EnhancedEventEmitter<RecorderSupervisorEvents> {
  readonly #ffmpeg: string;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  #child: ChildProcess | null = null;
  #ready = false;
  #restarts = 0;
  #failures = 0;
  #nextId = 1;
  #closed = false;

  static async start(ffmpeg: string, logger: Logger): Promise<RecorderSupervisor> {
    const supervisor = new RecorderSupervisor(ffmpeg, logger);
    await supervisor.#spawn(false);
    return supervisor;
  }

  private constructor(ffmpeg: string, logger: Logger) {
    const log = logger.child({ component: 'recorder-supervisor' });
    super((event, err) => log.error({ err, event }, 'recorder listener failed'));
    this.#ffmpeg = ffmpeg;
    this.#log = log;
  }

  /** The ffmpeg the recorder runs (the server probes media files with it too). */
  get ffmpeg(): string {
    return this.#ffmpeg;
  }

  health(): RecorderHealth {
    return {
      alive: this.#ready,
      pid: this.#ready ? (this.#child?.pid ?? null) : null,
      restarts: this.#restarts,
    };
  }

  /** `timeoutMs`: long jobs (joining, the composite) say how long they may take. */
  request<M extends RecorderMethod>(
    body: { type: M } & RecorderMethods[M]['request'],
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<RecorderAnswer<M>> {
    const child = this.#child;
    if (!child || !this.#ready) {
      return Promise.reject(new errors.UNAVAILABLE('the recorder is restarting'));
    }
    const id = this.#nextId++;
    return new Promise<RecorderAnswer<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new errors.UNAVAILABLE(`the recorder did not answer ${body.type}`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      child.send({ ...body, id });
    });
  }

  /** Lets the recorder finish its files, then ends it. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    const child = this.#child;
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await this.request({ type: 'shutdown' }).catch(() => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  #spawn(restart: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = fork(ENTRY, [], {
        execPath: process.execPath,
        env: { ...process.env, DIEMCAU_RECORDER_FFMPEG: this.#ffmpeg },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.#child = child;
      this.#ready = false;
      child.on('message', (raw) => {
        const message = raw as RecorderMessage;
        if (message.type === 'ready') {
          this.#ready = true;
          this.#failures = 0;
          this.#log.info({ pid: message.pid, restart }, 'recorder process up');
          this.safeEmit('recorderup', message.pid, restart);
          resolve();
        } else if (message.type === 'ok' || message.type === 'error') {
          const pending = this.#pending.get(message.id);
          if (pending) {
            this.#pending.delete(message.id);
            clearTimeout(pending.timer);
            if (message.type === 'ok') {
              pending.resolve(message.data);
            } else {
              pending.reject(
                message.interrupted === true
                  ? new errors.RECORDER_INTERRUPTED(message.message)
                  : new errors.UNAVAILABLE(message.message),
              );
            }
          }
        }
        this.safeEmit('message', message);
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (!this.#ready && !restart) {
          // Dead before it was ever up: the server must not start without a recorder.
          this.#closed = true;
          reject(new Error(`the recorder process exited at start (${code ?? signal})`));
          return;
        }
        this.#onExit(child, `${code ?? signal}`);
      });
    });
  }

  #onExit(child: ChildProcess, reason: string): void {
    if (this.#child !== child) {
      return;
    }
    this.#ready = false;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new errors.RECORDER_INTERRUPTED('the recorder process died'));
    }
    this.#pending.clear();
    if (this.#closed) {
      return;
    }
    this.#log.error({ pid: child.pid, reason }, 'recorder process died; restarting');
    this.safeEmit('recorderdied', child.pid ?? 0, reason);
    const delay = this.#failures === 0 ? 0 : Math.min(200 * 2 ** this.#failures, 5000);
    this.#failures += 1;
    setTimeout(() => {
      if (this.#closed) {
        return;
      }
      this.#spawn(true).then(
        () => {
          this.#restarts += 1;
        },
        (err: unknown) => this.#log.error({ err }, 'recorder restart failed'),
      );
    }, delay);
  }
}
