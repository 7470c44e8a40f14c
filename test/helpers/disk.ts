import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Test } from 'tap';

/** A small tmpfs at `dir` (the tests run as root, as CI does), unmounted at teardown. */
export function mountTmpfs(t: Test, dir: string, sizeMb: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  t.teardown(() => {
    execFileSync('umount', ['-l', dir]);
  });
}
