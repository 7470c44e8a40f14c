/**
 * `diemcau service unit|install`: diemcau as a systemd service that starts on boot,
 * restarts on failure, runs as its own user, and is given time to finish its
 * recordings when stopped.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { errors } from '../../common/errors.js';
import { projectRoot } from '../../common/paths.js';
import { mediasoupVersion, resolveWorkerBinary } from '../../workers/workerBinary.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

export const SERVICE_NAME = 'diemcau';

export interface UnitOptions {
  user: string;
  /** The install: `bin/diemcau` lives here. */
  root: string;
  dataDir: string;
  /** The worker binary the service runs (readable by its user). */
  workerBin: string;
  /** `--config FILE` for `serve`, absolute. */
  configFile: string | null;
}

/**
 * The shutdown finishes recordings within 45 s (serve's own deadline): systemd waits
 * longer before it kills anything, and then only after SIGTERM went to the server.
 */
export function unitFile(o: UnitOptions): string {
  const exec = [path.join(o.root, 'bin', 'diemcau'), 'serve'];
  if (o.configFile !== null) {
    exec.push('--config', o.configFile);
  }
  return `# diemcau: made by \`diemcau service install\` (or \`diemcau service unit\`).
[Unit]
Description=diemcau: online citizen reception bridge (WebRTC SFU and recorder)
Documentation=file://${path.join(o.root, 'README.md')}
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=300
StartLimitBurst=10

[Service]
Type=simple
User=${o.user}
Group=${o.user}
WorkingDirectory=${o.dataDir}
Environment=DIEMCAU_DATA_DIR=${o.dataDir}
Environment=DIEMCAU_SESSIONS_DEMO=false
Environment=DIEMCAU_MEDIASOUP_WORKER_BIN=${o.workerBin}
ExecStart=${exec.join(' ')}
Restart=on-failure
RestartSec=5s
# SIGTERM to the server alone: it stops the recorder and the media workers itself,
# after the last segments are finished and hashed.
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec=90s
UMask=0077
LimitNOFILE=65536
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ReadWritePaths=${o.dataDir}

[Install]
WantedBy=multi-user.target
`;
}

export function serviceCommand(args: string[]): number {
  const [sub, ...rest] = args;
  const { values } = parseFlags(rest, {
    ...CONFIG_FLAG,
    user: { type: 'string', default: SERVICE_NAME },
    'unit-dir': { type: 'string', default: '/etc/systemd/system' },
    'lib-dir': { type: 'string', default: '/usr/local/lib/diemcau' },
    'no-enable': { type: 'boolean', default: false },
  });
  const config = bootConfig(values.config);
  const configFile = values.config === undefined ? null : path.resolve(values.config);
  const worker = resolveWorkerBinary(config.mediasoup.workerBin);
  const serviceWorker = path.join(values['lib-dir'], `mediasoup-worker-${mediasoupVersion}`);
  switch (sub) {
    case 'unit':
      // For a hand install: the worker must be where the service user can read it.
      process.stdout.write(
        `# Before using this unit: install -D -m 0755 ${worker.path} ${serviceWorker}\n` +
          unitFile({
            user: values.user,
            root: projectRoot,
            dataDir: config.dataDir,
            workerBin: serviceWorker,
            configFile,
          }),
      );
      return 0;
    case 'install':
      return install(config, {
        user: values.user,
        unitDir: values['unit-dir'],
        libDir: values['lib-dir'],
        enable: !values['no-enable'],
        configFile,
        workerBin: worker.path,
        serviceWorker,
      });
    default:
      throw new errors.USAGE('usage: diemcau service unit|install [--user NAME] [--config FILE]');
  }
}

function install(
  config: Readonly<Config>,
  o: {
    user: string;
    unitDir: string;
    libDir: string;
    enable: boolean;
    configFile: string | null;
    workerBin: string;
    serviceWorker: string;
  },
): number {
  if (process.getuid?.() !== 0) {
    console.error('diemcau service install: run as root (it adds a user and a systemd unit)');
    return 1;
  }
  const step = (line: string): void => console.error(`[service] ${line}`);
  if (spawnSync('id', ['-u', o.user], { stdio: 'ignore' }).status !== 0) {
    step(`adding the system user ${o.user}`);
    run('useradd', [
      '--system',
      '--user-group',
      '--home-dir',
      config.dataDir,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      o.user,
    ]);
  }
  // The service user must be able to run this install (not one under /root, say).
  const probe = spawnSync(
    'runuser',
    ['-u', o.user, '--', path.join(projectRoot, 'bin', 'diemcau'), 'version'],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) {
    console.error(
      `diemcau service install: the user ${o.user} cannot run ${projectRoot} ` +
        `(${(probe.stderr || probe.error?.message || '').trim()}); install diemcau where ` +
        'other users can read it, e.g. /opt/diemcau',
    );
    return 1;
  }
  step(`data directory ${config.dataDir} (0700, owned by ${o.user})`);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  run('chown', ['-R', `${o.user}:${o.user}`, config.dataDir]);
  // The worker built for root sits in root's cache, which the service cannot read.
  const workerBin = o.serviceWorker;
  step(`mediasoup worker ${o.workerBin} → ${workerBin}`);
  mkdirSync(o.libDir, { recursive: true, mode: 0o755 });
  copyFileSync(o.workerBin, `${workerBin}.tmp`);
  chmodSync(`${workerBin}.tmp`, 0o755);
  run('mv', ['-f', `${workerBin}.tmp`, workerBin]);
  const unit = path.join(o.unitDir, `${SERVICE_NAME}.service`);
  step(`unit ${unit}`);
  mkdirSync(o.unitDir, { recursive: true });
  writeFileSync(
    unit,
    unitFile({
      user: o.user,
      root: projectRoot,
      dataDir: config.dataDir,
      workerBin,
      configFile: o.configFile,
    }),
    { mode: 0o644 },
  );
  if (o.enable && existsSync('/run/systemd/system')) {
    run('systemctl', ['daemon-reload']);
    run('systemctl', ['enable', SERVICE_NAME]);
    step(`enabled: start it with 'systemctl start ${SERVICE_NAME}'`);
  } else {
    step(
      `written; with systemd running: systemctl daemon-reload && systemctl enable --now ${SERVICE_NAME}`,
    );
  }
  step(`logs: journalctl -u ${SERVICE_NAME} -f; after an upgrade, run this command again`);
  return 0;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed: ${(result.stderr || result.error?.message || '').trim()}`,
    );
  }
}
