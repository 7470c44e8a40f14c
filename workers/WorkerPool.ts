/**
 * The mediasoup worker pool. Worker i owns one WebRtcServer on UDP+TCP port
 * `rtcPort + i`, so a delegate point behind a strict firewall needs one port open per
 * worker, not a range. A worker that dies is logged and respawned in the same slot
 * (same port), with a growing delay if it keeps failing; the pool never exits the
 * process over it.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { errors } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { EnhancedEventEmitter } from '../common/EnhancedEventEmitter.js';

export interface WorkerPoolOptions {
  size: number;
  workerBin: string;
  logLevel: types.WorkerLogLevel;
  listenIp: string;
  announcedAddress: string | null;
  /** Slot i listens on firstPort + i. */
  firstPort: number;
  logger: Logger;
}

export type WorkerPoolObserverEvents = {
  workerdied: [slot: number, pid: number, error: Error];
  workerrespawned: [slot: number, pid: number];
  close: [];
};

export interface WorkerSlotHealth {
  slot: number;
  pid: number | null;
  port: number;
  alive: boolean;
  restarts: number;
}

export interface WorkerPoolHealth {
  size: number;
  alive: number;
  restarts: number;
  workers: WorkerSlotHealth[];
}

/** A live worker with the WebRtcServer browsers reach it through. */
export interface PooledWorker {
  slot: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
}

const MAX_RESPAWN_DELAY_MS = 5_000;

class WorkerSlot {
  current: PooledWorker | null = null;
  /** Routers alive on the current worker: the load measure for placing a session. */
  routers = 0;
  restarts = 0;
  /** Failed spawns in a row; drives the back-off so a broken binary does not spin. */
  failures = 0;
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly index: number,
    readonly port: number,
  ) {}
}

export class WorkerPool {
  readonly observer: EnhancedEventEmitter<WorkerPoolObserverEvents>;
  readonly #options: WorkerPoolOptions;
  readonly #slots: WorkerSlot[];
  readonly #log: Logger;
  #closed = false;
  #closing: Promise<void> | null = null;

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      await Promise.all(pool.#slots.map((slot) => pool.#spawn(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'worker-pool' });
    this.observer = new EnhancedEventEmitter((event, error) =>
      this.#log.error({ err: error, event }, 'worker pool observer listener failed'),
    );
    this.#slots = Array.from(
      { length: options.size },
      (_, i) => new WorkerSlot(i, options.firstPort + i),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Live workers, in slot order. */
  get workers(): PooledWorker[] {
    return this.#slots.flatMap((slot) => (slot.current ? [slot.current] : []));
  }

  health(): WorkerPoolHealth {
    const workers = this.#slots.map((slot) => ({
      slot: slot.index,
      pid: slot.current?.worker.pid ?? null,
      port: slot.port,
      alive: slot.current !== null && !slot.current.worker.died && !slot.current.worker.closed,
      restarts: slot.restarts,
    }));
    return {
      size: this.#slots.length,
      alive: workers.filter((w) => w.alive).length,
      restarts: workers.reduce((sum, w) => sum + w.restarts, 0),
      workers,
    };
  }

  /**
   * The live worker with the fewest routers (sessions). If every worker is down at this
   * instant (a one-worker pool whose worker just died), waits for a respawn.
   */
  async pickWorker(timeoutMs = 10_000): Promise<PooledWorker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.#slots.filter(
        (s) => s.current !== null && !s.current.worker.died && !s.current.worker.closed,
      );
      if (live.length > 0) {
        live.sort((a, b) => a.routers - b.routers || a.index - b.index);
        return live[0]!.current!;
      }
      if (this.#closed || Date.now() > deadline) {
        throw new errors.UNAVAILABLE('no mediasoup worker is running');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Closes every worker. Safe to call twice; the promise resolves once the worker
   * processes have exited (at most 3 s), so a stopping server leaves none behind.
   */
  close(): Promise<void> {
    if (this.#closing) {
      return this.#closing;
    }
    this.#closed = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.#slots) {
      if (slot.timer) {
        clearTimeout(slot.timer);
        slot.timer = null;
      }
      const worker = slot.current?.worker;
      if (worker && !worker.subprocessClosed) {
        exits.push(new Promise((resolve) => worker.once('subprocessclose', () => resolve())));
      }
      worker?.close();
      slot.current = null;
    }
    this.observer.safeEmit('close');
    this.#closing = Promise.race([
      Promise.all(exits).then(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, 3000).unref()),
    ]);
    return this.#closing;
  }

  async #spawn(slot: WorkerSlot): Promise<void> {
    const { workerBin, logLevel, listenIp, announcedAddress } = this.#options;
    const worker = await mediasoup.createWorker({
      workerBin,
      logLevel,
      logTags: ['info', 'ice', 'dtls', 'rtp', 'srtp', 'rtcp'],
      appData: { slot: slot.index },
    });
    let webRtcServer: types.WebRtcServer;
    try {
      const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
        protocol,
        ip: listenIp,
        port: slot.port,
        ...(announcedAddress !== null ? { announcedAddress } : {}),
      });
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [listen('udp'), listen('tcp')],
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    if (this.#closed) {
      worker.close();
      return;
    }
    // mediasoup closes every worker itself on the Node process's SIGINT/SIGTERM. diemcau
    // shuts down in order (clients told, recordings finished, then workers), so the
    // server's own signal handling decides when workers close.
    const onSignal = (worker as unknown as { onSignal?: (...args: unknown[]) => void }).onSignal;
    if (onSignal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    slot.current = { slot: slot.index, worker, webRtcServer };
    slot.failures = 0;
    slot.routers = 0;
    worker.observer.on('newrouter', (router) => {
      slot.routers += 1;
      router.observer.once('close', () => {
        if (slot.current?.worker === worker) {
          slot.routers -= 1;
        }
      });
    });
    worker.on('died', (error) => this.#onDied(slot, worker, error));
    this.#log.info({ slot: slot.index, pid: worker.pid, port: slot.port }, 'mediasoup worker up');
  }

  #onDied(slot: WorkerSlot, worker: types.Worker, error: Error): void {
    this.#log.error(
      { slot: slot.index, pid: worker.pid, err: error },
      'mediasoup worker died; respawning',
    );
    if (slot.current?.worker === worker) {
      slot.current = null;
    }
    this.observer.safeEmit('workerdied', slot.index, worker.pid, error);
    this.#scheduleRespawn(slot);
  }

  #scheduleRespawn(slot: WorkerSlot): void {
    if (this.#closed || slot.timer) {
      return;
    }
    // First retry at once: a crash should cost the session as little as possible.
    const delay =
      slot.failures === 0 ? 0 : Math.min(100 * 2 ** slot.failures, MAX_RESPAWN_DELAY_MS);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      this.#spawn(slot).then(
        () => {
          if (slot.current) {
            slot.restarts += 1;
            this.observer.safeEmit('workerrespawned', slot.index, slot.current.worker.pid);
          }
        },
        (err: unknown) => {
          slot.failures += 1;
          this.#log.error(
            { slot: slot.index, err, failures: slot.failures },
            'mediasoup worker respawn failed; retrying',
          );
          this.#scheduleRespawn(slot);
        },
      );
    }, delay);
  }
}
