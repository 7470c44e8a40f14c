import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../common/paths.js';
import { cleanEnv, runCli, tempDir } from './helpers/cli.js';
import { freePortBlock } from './helpers/ports.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server process `npm start` runs (whatever npm put between them). */
function serverPidUnder(npmPid: number): number | null {
  const children = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(npmPid)], {
    encoding: 'utf8',
  }).stdout;
  for (const line of children.split('\n')) {
    const [pid, ...args] = line.trim().split(/\s+/);
    if (args.join(' ').includes('dist/src/cli/main.js serve')) {
      return Number(pid);
    }
    if (pid) {
      const deeper = serverPidUnder(Number(pid));
      if (deeper !== null) {
        return deeper;
      }
    }
  }
  return null;
}

t.test('npm start stops on SIGTERM to npm: the server shuts down cleanly', async (t) => {
  const npm = spawn('npm', ['start'], {
    cwd: projectRoot,
    env: {
      ...cleanEnv(),
      DIEMCAU_DATA_DIR: tempDir('npm-start'),
      DIEMCAU_HTTP_PORT: '0',
      DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
      DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(1)),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const npmExit = new Promise<number | null>((resolve) => npm.on('close', resolve));
  const deadline = Date.now() + 30_000;
  while (!out.includes('"diemcau ready"') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = serverPidUnder(npm.pid as number);
  t.teardown(() => {
    if (server !== null && processAlive(server)) {
      process.kill(server, 'SIGKILL');
    }
  });
  t.ok(server, 'the server runs under npm');

  // What a supervisor or an operator's script does: signal the process it started.
  npm.kill('SIGTERM');
  t.equal(await npmExit, 0, 'npm exits with the server’s code');
  t.notOk(server !== null && processAlive(server), 'the server did not outlive npm');
  t.match(out, /"shutdown complete"/, 'recordings finished, the server closed in order');
});

const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;

t.test('the systemd unit is valid and gives the shutdown time to finish', async (t) => {
  t.ok(analyze, 'systemd-analyze is installed (npm run setup installs systemd)');
  const dataDir = tempDir('service-data');
  const unit = await runCli(['service', 'unit'], { DIEMCAU_DATA_DIR: dataDir });
  t.equal(unit.code, 0, unit.stderr);
  const dir = tempDir('service-unit');
  const file = path.join(dir, 'diemcau.service');
  writeFileSync(file, unit.stdout);
  const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  t.equal(verify.stderr.trim(), '', 'no warning from systemd');
  t.match(unit.stdout, /^Restart=on-failure$/m);
  t.match(unit.stdout, /^User=diemcau$/m, 'its own user');
  t.match(unit.stdout, new RegExp(`^Environment=DIEMCAU_DATA_DIR=${dataDir}$`, 'm'));
  const stop = Number(/^TimeoutStopSec=(\d+)s$/m.exec(unit.stdout)?.[1]);
  t.ok(stop > 45, `systemd waits ${stop} s, longer than the server's own 45 s shutdown`);
  t.match(unit.stdout, /^KillMode=mixed$/m, 'SIGTERM to the server alone first');
});

t.test('service install writes the unit, the worker and the data directory', async (t) => {
  const dataDir = path.join(tempDir('service-install'), 'data');
  const unitDir = tempDir('service-units');
  const libDir = tempDir('service-lib');
  const args = ['service', 'install', '--unit-dir', unitDir, '--lib-dir', libDir, '--no-enable'];
  if (process.getuid?.() !== 0) {
    const refused = await runCli(args, { DIEMCAU_DATA_DIR: dataDir });
    t.equal(refused.code, 1, 'refused without root');
    return;
  }
  // root exists everywhere: no user is added to this machine by the test.
  const done = await runCli([...args, '--user', 'root'], { DIEMCAU_DATA_DIR: dataDir });
  t.equal(done.code, 0, done.stderr);
  const unit = readFileSync(path.join(unitDir, 'diemcau.service'), 'utf8');
  const worker = /^Environment=DIEMCAU_MEDIASOUP_WORKER_BIN=(.+)$/m.exec(unit)?.[1] ?? '';
  t.ok(worker.startsWith(libDir), 'the service runs its own copy of the worker');
  t.equal(statSync(worker).mode & 0o777, 0o755, 'readable and executable by the service user');
  t.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data directory is 0700');
  if (analyze) {
    const verify = spawnSync('systemd-analyze', ['verify', path.join(unitDir, 'diemcau.service')], {
      encoding: 'utf8',
    });
    t.equal(verify.status, 0, verify.stderr);
  }
});
