/**
 * Finds the mediasoup-worker binary the server will run: the configured path, then
 * MEDIASOUP_WORKER_BIN, then this machine's cache (offline build, then prebuilt), then
 * the binary mediasoup's own install put in its package. Missing means a clear error
 * saying what to run, never a crash deep inside mediasoup.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { version as mediasoupVersion } from 'mediasoup';
import { errors } from '../common/errors.js';
import { isExecutable } from '../common/isExecutable.js';
import { cachedWorkerPath } from './workerCache.js';

export { mediasoupVersion };

export type WorkerBinarySource =
  | 'config'
  | 'MEDIASOUP_WORKER_BIN'
  | 'cache (offline build)'
  | 'cache (prebuilt)'
  | 'mediasoup package';

export interface WorkerBinary {
  path: string;
  source: WorkerBinarySource;
}

/** mediasoup's `exports` hide its package.json, so walk up from its entry point. */
export function mediasoupPackageDir(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve('mediasoup'));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'worker'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new errors.WORKER_BINARY_MISSING('cannot find the installed mediasoup package');
    }
    dir = parent;
  }
  return dir;
}

export function resolveWorkerBinary(
  configured: string | null,
  env: NodeJS.ProcessEnv = process.env,
): WorkerBinary {
  if (configured !== null) {
    return requireExecutable(configured, 'config', 'mediasoup.workerBin');
  }
  const fromEnv = env['MEDIASOUP_WORKER_BIN'];
  if (fromEnv) {
    return requireExecutable(fromEnv, 'MEDIASOUP_WORKER_BIN', 'MEDIASOUP_WORKER_BIN');
  }
  const candidates: WorkerBinary[] = [
    { path: cachedWorkerPath(mediasoupVersion, 'offline', env), source: 'cache (offline build)' },
    { path: cachedWorkerPath(mediasoupVersion, 'prebuilt', env), source: 'cache (prebuilt)' },
    {
      path: path.join(mediasoupPackageDir(), 'worker', 'out', 'Release', 'mediasoup-worker'),
      source: 'mediasoup package',
    },
  ];
  const found = candidates.find((c) => isExecutable(c.path));
  if (found) {
    return found;
  }
  throw new errors.WORKER_BINARY_MISSING(
    `none for mediasoup ${mediasoupVersion} (looked in ${candidates.map((c) => c.path).join(', ')}). ` +
      'Run `npm run setup` or `diemcau worker build`, or set mediasoup.workerBin / MEDIASOUP_WORKER_BIN',
  );
}

function requireExecutable(file: string, source: WorkerBinarySource, key: string): WorkerBinary {
  if (!isExecutable(file)) {
    throw new errors.WORKER_BINARY_MISSING(
      `${key} points to ${file}, which is ${existsSync(file) ? 'not executable' : 'missing'}`,
    );
  }
  return { path: path.resolve(file), source };
}

/**
 * Runs the binary the way mediasoup's installer checks a download: without
 * MEDIASOUP_VERSION it must start (all shared libraries resolve) and exit with 41.
 */
export function probeWorkerBinary(file: string): { ok: boolean; detail: string } {
  const env = { ...process.env };
  delete env['MEDIASOUP_VERSION'];
  const result = spawnSync(file, [], { env, encoding: 'utf8', timeout: 10_000 });
  if (result.error) {
    return { ok: false, detail: result.error.message };
  }
  if (result.status === 41) {
    return { ok: true, detail: 'starts (all libraries load)' };
  }
  const stderr = result.stderr.trim().split('\n').slice(-2).join(' ');
  return { ok: false, detail: `exited ${result.status ?? result.signal}: ${stderr}` };
}
