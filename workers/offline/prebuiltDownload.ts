/**
 * mediasoup's own prebuilt worker, fetched from the address its installer uses (or the
 * mirror in MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL, as mediasoup honours it).
 * On an air-gapped machine this fails within seconds and the offline build takes over.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import path from 'node:path';
import { mediasoupPackageDir } from '../workerBinary.js';
import { openLog, run } from './run.js';

const DOWNLOAD_TIMEOUT_MS = 20_000;

export function prebuiltUrl(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const pkg = JSON.parse(
    readFileSync(path.join(mediasoupPackageDir(), 'package.json'), 'utf8'),
  ) as {
    repository: { url: string };
  };
  const base =
    env['MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL'] ||
    `${pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
  let name = `mediasoup-worker-${version}-${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    name += `-kernel${release().split('.')[0] ?? ''}`;
  }
  return `${base}/${version}/${name}.tgz`;
}

/** Downloads and unpacks into `dir`; returns the binary's path, or the reason it failed. */
export async function downloadPrebuilt(
  version: string,
  dir: string,
  logFile: string,
): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  const url = prebuiltUrl(version);
  let body: ArrayBuffer;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok) {
      return { ok: false, reason: `${url}: HTTP ${res.status}` };
    }
    body = await res.arrayBuffer();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `${url}: ${cause ?? (err as Error).message}` };
  }
  mkdirSync(dir, { recursive: true });
  const tgz = path.join(dir, 'prebuilt.tgz');
  writeFileSync(tgz, Buffer.from(body));
  const log = openLog(logFile);
  try {
    await run('tar', ['xzf', tgz, '-C', dir], { log });
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    log.end();
  }
  return { ok: true, path: path.join(dir, 'mediasoup-worker') };
}
