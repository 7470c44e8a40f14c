/**
 * Where built mediasoup worker binaries are kept: outside the clone, so a fresh clone on
 * a warm machine (CI, a second checkout) reuses an 8-minute build. The key is the
 * mediasoup version plus a hash of the shims and the build recipe, so any change to
 * either builds anew instead of reusing a binary made from other sources.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../common/paths.js';

/** Bump when the build steps in OfflineWorkerBuild change in a way that changes the binary. */
export const BUILD_RECIPE_VERSION = 2;

export const SHIMS_DIR = path.join(projectRoot, 'workers', 'offline', 'shims');

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['DIEMCAU_CACHE_DIR']) {
    return path.resolve(env['DIEMCAU_CACHE_DIR']);
  }
  const xdg = env['XDG_CACHE_HOME'];
  return path.join(xdg ? path.resolve(xdg) : path.join(homedir(), '.cache'), 'diemcau');
}

export function shimsHash(dir: string = SHIMS_DIR): string {
  const hash = createHash('sha256');
  hash.update(`recipe:${BUILD_RECIPE_VERSION}\n`);
  for (const file of listFiles(dir)) {
    hash.update(`${path.relative(dir, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export type WorkerFlavour = 'offline' | 'prebuilt';

/** e.g. `~/.cache/diemcau/mediasoup-worker/3.27.1-offline-0123abcd…/mediasoup-worker`. */
export function cachedWorkerPath(
  mediasoupVersion: string,
  flavour: WorkerFlavour,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const key =
    flavour === 'offline'
      ? `${mediasoupVersion}-offline-${shimsHash()}`
      : `${mediasoupVersion}-prebuilt`;
  return path.join(cacheRoot(env), 'mediasoup-worker', key, 'mediasoup-worker');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      out.push(...listFiles(full));
    } else {
      out.push(full);
    }
  }
  return out;
}
