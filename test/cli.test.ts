import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import { projectRoot } from '../common/paths.js';
import { type CliResult, cleanEnv, runCli, tempDir } from './helpers/cli.js';
import { freePortBlock } from './helpers/ports.js';

async function doctorEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    DIEMCAU_DATA_DIR: tempDir('doctor'),
    DIEMCAU_HTTP_PORT: '0',
    DIEMCAU_MEDIASOUP_NUM_WORKERS: '2',
    DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(2)),
  };
}

t.test('an invalid configuration value exits 2 naming the key', async (t) => {
  const result = await runCli(['serve'], { DIEMCAU_HTTP_PORT: 'abc' });
  t.equal(result.code, 2);
  t.match(result.stderr, /http\.port/);
  t.match(result.stderr, /DIEMCAU_HTTP_PORT/);
  t.match(result.stderr, /DC_ERR_CONFIG_INVALID/);
});

t.test('unknown commands and flags are usage errors (exit 2)', async (t) => {
  t.equal((await runCli(['frobnicate'])).code, 2);
  const badFlag = await runCli(['doctor', '--no-such-flag']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /no-such-flag/);
});

t.test('doctor passes on this machine and reports each part', async (t) => {
  const result = await runCli(['doctor'], await doctorEnv());
  t.equal(result.code, 0, result.stdout + result.stderr);
  t.match(result.stdout, /ok\s+node\s+v24\./);
  t.match(result.stdout, /ok\s+worker\s+\S+mediasoup-worker .*mediasoup 3\.\d+\.\d+.*starts/);
  t.match(result.stdout, /ok\s+ffmpeg\s+\S*ffmpeg \[(PATH|ffmpeg-static|config)\]: ffmpeg version/);
  t.match(result.stdout, /ok\s+ports/);
  t.match(result.stdout, /ok\s+disk\s+.*GiB free/);
  t.match(result.stdout, /All checks passed/);
});

t.test('doctor --json gives scripts the same checks', async (t) => {
  const result = await runCli(['doctor', '--json'], await doctorEnv());
  t.equal(result.code, 0);
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    checks: { name: string; ok: boolean }[];
  };
  t.equal(report.ok, true);
  t.same(
    report.checks.map((c) => c.name),
    ['node', 'worker', 'ffmpeg', 'ports', 'disk'],
  );
});

t.test('doctor fails readably when the worker binary is missing', async (t) => {
  const result = await runCli(['doctor'], {
    ...(await doctorEnv()),
    DIEMCAU_MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker',
  });
  t.equal(result.code, 1);
  t.match(result.stdout, /FAIL worker\s+.*\/nonexistent\/mediasoup-worker, which is missing/);
  t.match(result.stdout, /1 problem\(s\): worker/);
});

t.test('doctor fails readably when no ffmpeg can be found', async (t) => {
  // Run Node directly with a PATH that has no ffmpeg (and no shell tools for the wrapper).
  const result = await new Promise<CliResult>((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(projectRoot, 'dist/src/cli/main.js'), 'doctor'],
      {
        env: { ...cleanEnv(), PATH: '/nonexistent' },
        cwd: projectRoot,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  if (resolveFfmpeg(null).source === 'ffmpeg-static') {
    // Where ffmpeg-static's download worked, it is the fallback and doctor is content.
    t.match(result.stdout, /ok\s+ffmpeg\s+.*\[ffmpeg-static\]/);
  } else {
    t.equal(result.code, 1, result.stdout + result.stderr);
    t.match(result.stdout, /FAIL ffmpeg\s+.*no ffmpeg on PATH/);
  }
});

t.test('doctor reports ports already taken', async (t) => {
  const env = await doctorEnv();
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((resolve) =>
    blocker.listen({ host: '127.0.0.1', port: Number(env['DIEMCAU_MEDIASOUP_RTC_PORT']) }, resolve),
  );
  t.teardown(() => blocker.close());
  const result = await runCli(['doctor'], env);
  t.equal(result.code, 1);
  t.match(
    result.stdout,
    new RegExp(
      `FAIL ports\\s+in use: rtc 127\\.0\\.0\\.1:${env['DIEMCAU_MEDIASOUP_RTC_PORT']}/tcp`,
    ),
  );
});

t.test('worker path names the binary the server will run', async (t) => {
  const result = await runCli(['worker', 'path']);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout.trim(), /mediasoup-worker$/);
});

t.test('config prints the effective configuration', async (t) => {
  const result = await runCli(['config'], { DIEMCAU_HTTP_PORT: '4999' });
  t.equal(result.code, 0);
  const config = JSON.parse(result.stdout) as { http: { port: number } };
  t.equal(config.http.port, 4999);
});

t.test(
  'token makes an invitation the server accepts; bad arguments are usage errors',
  async (t) => {
    const dataDir = tempDir('token');
    const made = await runCli(
      [
        'token',
        '--session',
        'tcd-2026-11',
        '--point',
        'lao-cai',
        '--role',
        'delegate',
        '--name',
        'UBND tỉnh Lào Cai',
        '--ttl',
        '2h',
      ],
      { DIEMCAU_DATA_DIR: dataDir },
    );
    t.equal(made.code, 0, made.stderr);
    const { TokenService } = await import('../src/auth/TokenService.js');
    const { loadSigningKey } = await import('../src/auth/signingKey.js');
    const { loadConfig } = await import('../src/config/loadConfig.js');
    const key = loadSigningKey(loadConfig({ env: { DIEMCAU_DATA_DIR: dataDir } }));
    const claims = new TokenService(key).verify(made.stdout.trim());
    t.match(claims, {
      sessionId: 'tcd-2026-11',
      pointId: 'lao-cai',
      role: 'delegate',
      pointKind: 'delegate',
      pointName: 'UBND tỉnh Lào Cai',
    });
    const ttl = (claims.expiresAt.getTime() - Date.now()) / 1000;
    t.ok(ttl > 7100 && ttl <= 7200, `expires in about 2 h (${Math.round(ttl)} s)`);

    const url = await runCli(
      ['token', '--session', 's', '--point', 'p', '--role', 'host', '--url'],
      {
        DIEMCAU_DATA_DIR: dataDir,
      },
    );
    t.match(url.stdout, /^http:\/\/127\.0\.0\.1:4443\/join\?token=eyJ/);
    for (const args of [
      ['token', '--session', 's', '--point', 'p', '--role', 'admin'],
      ['token', '--session', 's', '--point', 'p'],
      ['token', '--session', 's', '--point', 'bad id!', '--role', 'delegate'],
      ['token', '--session', 's', '--point', 'p', '--role', 'delegate', '--ttl', 'soon'],
    ]) {
      const r = await runCli(args, { DIEMCAU_DATA_DIR: dataDir });
      t.equal(r.code, 2, `${args.join(' ')} → exit 2`);
      t.match(r.stderr, /DC_ERR_USAGE/);
    }
  },
);

t.test('--help on every command and subcommand: what it does, exit 0', async (t) => {
  for (const args of [
    ['serve', '--help'],
    ['doctor', '--help'],
    ['token', '--help'],
    ['worker', 'build', '--help'],
    ['worker', '-h'],
    ['recordings', 'verify', '--help'],
    ['recordings', 'list', '-h'],
    ['service', 'install', '--help'],
    ['config', '--help'],
    ['help', 'recordings'],
  ]) {
    const r = await runCli(args);
    t.equal(r.code, 0, `${args.join(' ')} → exit 0 ${r.stderr}`);
    const command = args[0] === 'help' ? args[1] : args[0];
    t.match(r.stdout, new RegExp(`^Usage: diemcau ${command}`), `${args.join(' ')}: its usage`);
  }
});

t.test('beside a running server: doctor knows its ports, token its data directory', async (t) => {
  const { startServer } = await import('./helpers/cli.js');
  const env: NodeJS.ProcessEnv = {
    ...(await doctorEnv()),
    DIEMCAU_HTTP_PORT: String(await freePortBlock(1)),
  };
  const server = await startServer(env);
  t.teardown(() => {
    server.child.kill('SIGKILL');
  });
  const doctor = await runCli(['doctor'], env);
  t.equal(doctor.code, 0, doctor.stdout);
  t.match(
    doctor.stdout,
    /ok\s+ports\s+in use by the diemcau server running at http:\/\/127\.0\.0\.1:/,
  );

  // The same server, but a command run with another (new) data directory.
  const elsewhere = { ...env, DIEMCAU_DATA_DIR: tempDir('token-elsewhere') };
  const token = await runCli(
    ['token', '--session', 's', '--point', 'p', '--role', 'delegate'],
    elsewhere,
  );
  t.equal(token.code, 1, 'refused: its links would not open on that server');
  t.match(token.stderr, /no signing key in .*token-elsewhere.*the diemcau server at .* is running/);
  t.match(token.stderr, new RegExp(`with its data in ${env['DIEMCAU_DATA_DIR']}`));
  const same = await runCli(['token', '--session', 's', '--point', 'p', '--role', 'delegate'], env);
  t.equal(same.code, 0, 'with the server’s data directory: a link');
});

t.test('token --url gives the address delegates open', async (t) => {
  const env = { DIEMCAU_DATA_DIR: tempDir('token-url') };
  const lan = {
    ...env,
    DIEMCAU_HTTP_HOST: '0.0.0.0',
    DIEMCAU_MEDIASOUP_LISTEN_IP: '0.0.0.0',
    DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS: '192.168.1.10',
  };
  const args = ['token', '--session', 's', '--point', 'p', '--role', 'delegate', '--url'];
  const none = await runCli(args, lan);
  t.equal(none.code, 2);
  t.match(none.stderr, /set http\.publicUrl/, 'no 0.0.0.0 link: told what to set');
  const given = await runCli(args, {
    ...lan,
    DIEMCAU_HTTP_PUBLIC_URL: 'https://192.168.1.10:4443',
  });
  t.equal(given.code, 0, given.stderr);
  t.match(given.stdout, /^https:\/\/192\.168\.1\.10:4443\/join\?token=eyJ/);
  t.match(given.stderr, /made a new signing key in/, 'the new key is said so');
});
