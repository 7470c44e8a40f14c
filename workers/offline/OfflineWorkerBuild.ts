/**
 * The air-gapped install of the mediasoup worker. mediasoup's installer downloads a
 * prebuilt worker from the internet, or builds one after downloading meson, ninja and
 * seven libraries: neither works on a central point without internet. This builds the
 * worker from the installed mediasoup package's own sources against Debian packages,
 * replacing the downloaded subprojects with the shims in `./shims/`, checks it, and
 * keeps it in the machine's cache keyed by mediasoup version and shim content.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { errors } from '../../common/errors.js';
import { mediasoupPackageDir, mediasoupVersion, probeWorkerBinary } from '../workerBinary.js';
import {
  SHIMS_DIR,
  type WorkerFlavour,
  cacheRoot,
  cachedWorkerPath,
  shimsHash,
} from '../workerCache.js';
import { runWorkerChecks } from '../workerSelfCheck.js';
import { BUILD_PACKAGES, missingPackages } from './aptPackages.js';
import { SOURCES_FILE, writeDebSrcFile } from './debianSources.js';
import { downloadPrebuilt } from './prebuiltDownload.js';
import { openLog, run } from './run.js';

export type WorkerSource = 'auto' | 'prebuilt' | 'offline';

export interface EnsureWorkerOptions {
  /** `auto`: cache, else mediasoup's prebuilt download, else the offline build. */
  source: WorkerSource;
  /** Build even when the cache holds a binary for this key. */
  force: boolean;
  /** Run the smoke and SRTP checks before caching (always, unless a test says otherwise). */
  checks: boolean;
  progress: (line: string) => void;
}

export interface EnsureWorkerResult {
  path: string;
  flavour: WorkerFlavour;
  fromCache: boolean;
  seconds: number;
}

/** mediasoup wrap name → the shim that replaces what the wrap would download. */
const SHIMMED_WRAPS = [
  'libuv',
  'openssl',
  'libsrtp3',
  'unordered-dense',
  'flatbuffers',
  'abseil-cpp',
];

export async function ensureWorker(options: EnsureWorkerOptions): Promise<EnsureWorkerResult> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
  const flavours: WorkerFlavour[] =
    options.source === 'auto' ? ['offline', 'prebuilt'] : [options.source];
  if (!options.force) {
    for (const flavour of flavours) {
      const cached = cachedWorkerPath(mediasoupVersion, flavour);
      if (existsSync(cached) && probeWorkerBinary(cached).ok) {
        options.progress(`cached ${flavour} worker for mediasoup ${mediasoupVersion}: ${cached}`);
        return { path: cached, flavour, fromCache: true, seconds: seconds() };
      }
    }
  }

  const root = cacheRoot();
  mkdirSync(path.join(root, 'logs'), { recursive: true });
  const logFile = path.join(root, 'logs', `worker-build-${mediasoupVersion}-${Date.now()}.log`);
  const work = mkdtempSync(path.join(root, 'work-'));
  try {
    if (options.source !== 'offline') {
      options.progress(`trying mediasoup's prebuilt worker download for ${mediasoupVersion}`);
      const got = await downloadPrebuilt(mediasoupVersion, path.join(work, 'prebuilt'), logFile);
      const usable = got.ok ? probeWorkerBinary(got.path) : { ok: false, detail: got.reason };
      if (got.ok && usable.ok) {
        return await install(got.path, 'prebuilt', options, seconds);
      }
      options.progress(`prebuilt worker unavailable (${usable.detail})`);
      if (options.source === 'prebuilt') {
        throw new errors.WORKER_BUILD_FAILED(`prebuilt download failed: ${usable.detail}`);
      }
    }
    options.progress(`building mediasoup ${mediasoupVersion} worker offline (log: ${logFile})`);
    const built = await buildOffline(work, logFile, options.progress);
    return await install(built, 'offline', options, seconds);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildOffline(
  work: string,
  logFile: string,
  progress: (line: string) => void,
): Promise<string> {
  const log = openLog(logFile);
  try {
    await ensureBuildPackages(log, progress);
    const openssl = await buildOpenSsl(work, log, progress);
    const worker = path.join(work, 'worker');
    cpSync(path.join(mediasoupPackageDir(), 'worker'), worker, {
      recursive: true,
      filter: (src) =>
        !src.includes(`${path.sep}out${path.sep}`) && !src.endsWith(`${path.sep}out`),
    });
    for (const wrap of SHIMMED_WRAPS) {
      const wrapFile = path.join(worker, 'subprojects', `${wrap}.wrap`);
      const dir = /^directory\s*=\s*(\S+)/m.exec(readFileSync(wrapFile, 'utf8'))?.[1];
      if (dir === undefined) {
        throw new errors.WORKER_BUILD_FAILED(
          `${wrapFile} names no directory: mediasoup's build files changed; update the shims`,
        );
      }
      rmSync(path.join(worker, 'subprojects', dir), { recursive: true, force: true });
      cpSync(path.join(SHIMS_DIR, wrap), path.join(worker, 'subprojects', dir), {
        recursive: true,
      });
    }
    // The only edit to mediasoup itself: Debian 12 ships meson 1.0.1.
    const mesonBuild = path.join(worker, 'meson.build');
    writeFileSync(
      mesonBuild,
      readFileSync(mesonBuild, 'utf8').replace(
        /meson_version: '>= 1\.[0-9.]*'/,
        "meson_version: '>= 1.0.1'",
      ),
    );
    const out = path.join('out', 'Release');
    progress('meson setup');
    const env = { ...process.env, PKG_CONFIG_PATH: path.join(openssl, 'lib', 'pkgconfig') };
    await run(
      'meson',
      ['setup', '--wrap-mode=nodownload', '--buildtype', 'release', '-Db_ndebug=true', out],
      { cwd: worker, log, env },
    );
    // As upstream's tasks.py: generated flatbuffers headers first (libwebrtc objects
    // have no order dependency on them).
    progress('compiling flatbuffers headers');
    await run('meson', ['compile', '-C', out, 'flatbuffers-generator'], { cwd: worker, log });
    progress('compiling mediasoup-worker (several minutes)');
    await run('meson', ['compile', '-C', out, 'mediasoup-worker'], { cwd: worker, log });
    return path.join(worker, out, 'mediasoup-worker');
  } finally {
    log.end();
  }
}

/**
 * OpenSSL as mediasoup's wrap builds it: static, from the pristine upstream sources,
 * here taken from Debian's archive (`apt-get source`, checked against its signed index).
 */
async function buildOpenSsl(
  work: string,
  log: ReturnType<typeof openLog>,
  progress: (line: string) => void,
): Promise<string> {
  const src = path.join(work, 'openssl-src');
  const prefix = path.join(work, 'openssl');
  mkdirSync(src, { recursive: true });
  progress('fetching the OpenSSL sources from Debian');
  // apt checks each file against the archive's signed index before keeping it, so the
  // upstream tarball is usable even when a mirror lacks Debian's own packaging files.
  const findTarball = (): string | undefined =>
    readdirSync(src).find((f) => /^openssl_[\d.]+\.orig\.tar\.gz$/.test(f));
  const fetchSource = (): Promise<void> =>
    run('apt-get', ['source', '--download-only', 'openssl'], { cwd: src, log }).catch(
      (err: unknown) => {
        if (findTarball() === undefined) {
          throw err;
        }
      },
    );
  try {
    await fetchSource();
  } catch {
    if (process.getuid?.() !== 0) {
      throw new errors.WORKER_BUILD_FAILED(
        `no deb-src entries for apt: as root, run diemcau worker build once (it adds ${SOURCES_FILE})`,
      );
    }
    writeDebSrcFile();
    await run('apt-get', ['update'], { log });
    await fetchSource();
  }
  const tarball = findTarball();
  if (tarball === undefined) {
    throw new errors.WORKER_BUILD_FAILED(`no openssl_*.orig.tar.gz in ${src}`);
  }
  await run('tar', ['xzf', tarball], { cwd: src, log });
  const dir = path.join(src, tarball.replace(/^openssl_([\d.]+)\.orig\.tar\.gz$/, 'openssl-$1'));
  progress(`compiling ${path.basename(dir)} (static, a few minutes)`);
  await run(
    './config',
    ['no-shared', 'no-tests', `--prefix=${prefix}`, '--libdir=lib', '--openssldir=/usr/lib/ssl'],
    { cwd: dir, log },
  );
  await run('make', [`-j${availableParallelism() + 1}`, 'build_libs'], { cwd: dir, log });
  await run('make', ['install_dev'], { cwd: dir, log });
  return prefix;
}

async function ensureBuildPackages(
  log: ReturnType<typeof openLog>,
  progress: (line: string) => void,
): Promise<void> {
  const missing = missingPackages(BUILD_PACKAGES);
  if (missing.length === 0) {
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new errors.WORKER_BUILD_FAILED(
      `Debian packages missing: ${missing.join(' ')}. Install them as root: ` +
        `apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
  }
  progress(`installing Debian build packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  try {
    await run('apt-get', install, { log, env });
  } catch {
    await run('apt-get', ['update'], { log, env });
    await run('apt-get', install, { log, env });
  }
}

async function install(
  binary: string,
  flavour: WorkerFlavour,
  options: EnsureWorkerOptions,
  seconds: () => number,
): Promise<EnsureWorkerResult> {
  const probe = probeWorkerBinary(binary);
  if (!probe.ok) {
    throw new errors.WORKER_BUILD_FAILED(`the ${flavour} binary does not run: ${probe.detail}`);
  }
  if (options.checks) {
    options.progress('checking the new worker before caching it');
    try {
      await runWorkerChecks(binary, options.progress);
    } catch (err) {
      throw new errors.WORKER_BUILD_FAILED(
        `checks failed, binary not cached: ${(err as Error).message}`,
      );
    }
  }
  const target = cachedWorkerPath(mediasoupVersion, flavour);
  const dir = path.dirname(target);
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  cpSync(binary, path.join(staging, 'mediasoup-worker'));
  writeFileSync(
    path.join(staging, 'build-info.json'),
    JSON.stringify(
      {
        mediasoupVersion,
        flavour,
        shimsHash: flavour === 'offline' ? shimsHash() : null,
        builtAt: new Date().toISOString(),
        checked: options.checks,
      },
      null,
      2,
    ) + '\n',
  );
  // Swap in whole: a half-copied binary must never be found by the server.
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  options.progress(`worker ready: ${target}`);
  return { path: target, flavour, fromCache: false, seconds: seconds() };
}
