/**
 * Watches the free space of the archive's disk. Below the threshold (recorder.minFreeDiskMb)
 * the disk is "low": recordings are stopped cleanly before the disk fills, so nothing
 * already written is damaged; the alarm is logged, shown in /healthz and /metrics, and
 * each session's operator is told. It clears itself once space is freed.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import type { Logger } from '../../common/logger.js';
import { EnhancedEventEmitter } from '../../common/EnhancedEventEmitter.js';

export interface DiskHealth {
  path: string;
  freeBytes: number;
  minFreeBytes: number;
  low: boolean;
}

export type DiskMonitorEvents = { low: [DiskHealth]; ok: [DiskHealth] };

const POLL_MS = 1000;

export class DiskMonitor extends EnhancedEventEmitter<DiskMonitorEvents> {
  readonly #path: string;
  readonly #minFreeBytes: number;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  #health: DiskHealth;

  constructor(archiveDir: string, minFreeMb: number, logger: Logger) {
    const log = logger.child({ component: 'disk' });
    super((event, err) => log.error({ err, event }, 'disk listener failed'));
    mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
    this.#path = archiveDir;
    this.#minFreeBytes = minFreeMb * 1024 * 1024;
    this.#log = log;
    this.#health = this.#measure(false);
    if (this.#health.low) {
      this.#alarm();
    }
    this.#timer = setInterval(() => this.check(), POLL_MS);
    this.#timer.unref();
  }

  health(): DiskHealth {
    return this.#health;
  }

  /** Measures now; raises or clears the alarm on a change. */
  check(): DiskHealth {
    const wasLow = this.#health.low;
    this.#health = this.#measure(wasLow);
    if (this.#health.low && !wasLow) {
      this.#alarm();
    } else if (!this.#health.low && wasLow) {
      this.#log.info({ freeBytes: this.#health.freeBytes }, 'archive disk has room again');
      this.safeEmit('ok', this.#health);
    }
    return this.#health;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #alarm(): void {
    this.#log.error(
      {
        path: this.#path,
        freeMb: Math.floor(this.#health.freeBytes / 1048576),
        minFreeMb: this.#minFreeBytes / 1048576,
      },
      'ALARM: archive disk almost full; recording stops until space is freed',
    );
    this.safeEmit('low', this.#health);
  }

  #measure(wasLow: boolean): DiskHealth {
    const s = statfsSync(this.#path);
    const freeBytes = s.bavail * s.bsize;
    // A little room above the threshold before the alarm clears, so it does not flap.
    const clearAt = this.#minFreeBytes + Math.min(64 * 1048576, this.#minFreeBytes / 10);
    const low = wasLow ? freeBytes < clearAt : freeBytes < this.#minFreeBytes;
    return { path: this.#path, freeBytes, minFreeBytes: this.#minFreeBytes, low };
  }
}
