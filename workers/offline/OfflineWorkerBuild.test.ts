import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../../test/helpers/cli.js';
import { mediasoupVersion, resolveWorkerBinary } from '../workerBinary.js';
import { SHIMS_DIR, cachedWorkerPath, shimsHash } from '../workerCache.js';
import { ensureWorker } from './OfflineWorkerBuild.js';
import { prebuiltUrl } from './prebuiltDownload.js';

const realWorker = resolveWorkerBinary(null).path;
const quiet = { progress: (): void => undefined };

t.beforeEach(() => {
  process.env['DIEMCAU_CACHE_DIR'] = tempDir('cache');
});
t.afterEach(() => {
  delete process.env['DIEMCAU_CACHE_DIR'];
  delete process.env['MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL'];
});

t.test('the cache key follows the shims: any change means a new build', (t) => {
  const copy = tempDir('shims');
  cpSync(SHIMS_DIR, copy, { recursive: true });
  const before = shimsHash(copy);
  t.equal(before, shimsHash(SHIMS_DIR), 'same content, same key');
  const header = path.join(copy, 'libsrtp3', 'include', 'srtp.h');
  writeFileSync(header, readFileSync(header, 'utf8') + '\n// changed\n');
  t.not(shimsHash(copy), before);
  t.match(
    cachedWorkerPath(mediasoupVersion, 'offline'),
    new RegExp(`${mediasoupVersion}-offline-${before}`),
  );
  t.end();
});

t.test('a cached binary for this key is reused without building', async (t) => {
  const target = cachedWorkerPath(mediasoupVersion, 'offline');
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(realWorker, target);
  const result = await ensureWorker({ source: 'auto', force: false, checks: true, ...quiet });
  t.same(
    { path: result.path, flavour: result.flavour, fromCache: result.fromCache },
    { path: target, flavour: 'offline', fromCache: true },
  );
  t.equal(resolveWorkerBinary(null).path, target, 'the server finds it in the cache');
});

t.test("mediasoup's prebuilt download (from a mirror) is checked, then cached", async (t) => {
  const dist = tempDir('mirror');
  cpSync(realWorker, path.join(dist, 'mediasoup-worker'));
  execFileSync('tar', ['czf', path.join(dist, 'worker.tgz'), '-C', dist, 'mediasoup-worker']);
  const tgz = readFileSync(path.join(dist, 'worker.tgz'));
  const requested: string[] = [];
  const mirror = http.createServer((req, res) => {
    requested.push(req.url ?? '');
    if (req.url?.startsWith(`/${mediasoupVersion}/mediasoup-worker-${mediasoupVersion}-linux-`)) {
      res.end(tgz);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
  t.teardown(() => mirror.close());
  const base = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  process.env['MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL'] = base;
  t.match(
    prebuiltUrl(mediasoupVersion),
    `${base}/${mediasoupVersion}/mediasoup-worker-${mediasoupVersion}-linux-x64-kernel`,
  );

  const lines: string[] = [];
  const result = await ensureWorker({
    source: 'prebuilt',
    force: false,
    checks: true,
    progress: (l) => lines.push(l),
  });
  t.equal(result.flavour, 'prebuilt');
  t.equal(result.fromCache, false);
  t.equal(result.path, cachedWorkerPath(mediasoupVersion, 'prebuilt'));
  t.ok(
    lines.some((l) => /srtp AEAD_AES_256_GCM: \d+\/50 intact, wrong key 0\/20/.test(l)),
    'checks ran',
  );
  const info = JSON.parse(
    readFileSync(path.join(path.dirname(result.path), 'build-info.json'), 'utf8'),
  ) as {
    flavour: string;
    checked: boolean;
  };
  t.same({ flavour: info.flavour, checked: info.checked }, { flavour: 'prebuilt', checked: true });
  t.equal(requested.length, 1);
});

t.test('a failed prebuilt download is a clear error when prebuilt was asked for', async (t) => {
  const mirror = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
  t.teardown(() => mirror.close());
  process.env['MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL'] =
    `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  await t.rejects(ensureWorker({ source: 'prebuilt', force: true, checks: false, ...quiet }), {
    code: 'DC_ERR_WORKER_BUILD_FAILED',
    message: /HTTP 404/,
  });
  t.notOk(existsSync(cachedWorkerPath(mediasoupVersion, 'prebuilt')), 'nothing was cached');
});
