import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // CLK_TCK is 100 on Linux
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** CPU seconds of a process that may have ended meanwhile (then 0). */
export function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

/** ffmpeg processes recording into `archive` (their output pattern names it). */
export function recordingFfmpegs(archive: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(path.join(archive, 'media')) && cmd.includes('.sdp')) {
        pids.push(Number(pid));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Resolves once `ready()` holds (it may throw meanwhile), or fails after `ms`. */
export async function waitFor(ms: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (ready()) {
        return;
      }
    } catch {
      // Not there yet.
    }
    if (Date.now() > deadline) {
      throw new Error('bench: timed out');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU seconds the whole machine has spent busy so far (every core), from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}
