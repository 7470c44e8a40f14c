import { existsSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { tcpFree, udpFree } from '../../common/portFree.js';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import {
  mediasoupVersion,
  probeWorkerBinary,
  resolveWorkerBinary,
} from '../../workers/workerBinary.js';
import { bootConfig } from './bootConfig.js';
import { findRunningServer } from './runningServer.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const MIN_NODE_MAJOR = 24;

/** `diemcau doctor`: what a central point's operator runs before a session. */
export async function doctor(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...CONFIG_FLAG, json: { type: 'boolean' } });
  const config = bootConfig(values.config);
  const checks = await runChecks(config);
  const failed = checks.filter((c) => !c.ok);
  if (values.json === true) {
    console.log(JSON.stringify({ ok: failed.length === 0, checks }, null, 2));
  } else {
    console.log('diemcau doctor');
    for (const c of checks) {
      console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(7)} ${c.detail}`);
    }
    console.log(
      failed.length === 0
        ? 'All checks passed.'
        : `${failed.length} problem(s): ${failed.map((c) => c.name).join(', ')}`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}

export async function runChecks(config: Readonly<Config>): Promise<Check[]> {
  return [
    checkNode(),
    checkWorker(config),
    checkFfmpeg(config),
    await checkPorts(config),
    checkDisk(config),
  ];
}

function checkNode(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    name: 'node',
    ok: major >= MIN_NODE_MAJOR,
    detail:
      major >= MIN_NODE_MAJOR
        ? `v${process.versions.node} (${process.execPath})`
        : `v${process.versions.node} is too old: diemcau needs Node.js ${MIN_NODE_MAJOR}; run \`npm run setup\``,
  };
}

function checkWorker(config: Readonly<Config>): Check {
  try {
    const bin = resolveWorkerBinary(config.mediasoup.workerBin);
    const probe = probeWorkerBinary(bin.path);
    return {
      name: 'worker',
      ok: probe.ok,
      detail: `${bin.path} [${bin.source}, mediasoup ${mediasoupVersion}]: ${probe.detail}`,
    };
  } catch (err) {
    return { name: 'worker', ok: false, detail: (err as Error).message };
  }
}

function checkFfmpeg(config: Readonly<Config>): Check {
  try {
    const ffmpeg = resolveFfmpeg(config.ffmpeg.path);
    return {
      name: 'ffmpeg',
      ok: true,
      detail: `${ffmpeg.path} [${ffmpeg.source}]: ${ffmpeg.version}`,
    };
  } catch (err) {
    return { name: 'ffmpeg', ok: false, detail: (err as Error).message };
  }
}

async function checkPorts(config: Readonly<Config>): Promise<Check> {
  const workers = config.mediasoup.numWorkers || availableParallelism();
  const busy: string[] = [];
  if (config.http.port !== 0 && !(await tcpFree(config.http.host, config.http.port))) {
    busy.push(`http ${config.http.host}:${config.http.port}/tcp`);
  }
  const ip = config.mediasoup.listenIp;
  for (let i = 0; i < workers; i++) {
    const port = config.mediasoup.rtcPort + i;
    if (!(await udpFree(ip, port))) {
      busy.push(`rtc ${ip}:${port}/udp`);
    }
    if (!(await tcpFree(ip, port))) {
      busy.push(`rtc ${ip}:${port}/tcp`);
    }
  }
  const first = config.mediasoup.rtcPort;
  const range = workers > 1 ? `${first}-${first + workers - 1}` : `${first}`;
  if (busy.length > 0) {
    // Its own ports, held by the diemcau running on them, are as they should be.
    const running = await findRunningServer(config);
    if (running) {
      const ours = (b: string): boolean =>
        b.startsWith('http ') ||
        running.workerPorts.length === 0 ||
        running.workerPorts.some((p) => b.includes(`:${p}/`));
      const others = busy.filter((b) => !ours(b));
      if (others.length === 0) {
        return {
          name: 'ports',
          ok: true,
          detail: `in use by the diemcau server running at ${running.url}${running.version ? ` (${running.version})` : ''}: http ${config.http.port}/tcp, rtc ${range}`,
        };
      }
      busy.splice(0, busy.length, ...others);
    }
  }
  return busy.length === 0
    ? {
        name: 'ports',
        ok: true,
        detail: `free: http ${config.http.port === 0 ? '(any)' : config.http.port}/tcp, rtc ${range} udp+tcp on ${ip}`,
      }
    : {
        name: 'ports',
        ok: false,
        detail: `in use: ${busy.join(', ')} (is diemcau already running? change http.port / mediasoup.rtcPort)`,
      };
}

function checkDisk(config: Readonly<Config>): Check {
  const archive = path.join(config.dataDir, 'archive');
  let probe = archive;
  while (!existsSync(probe) && path.dirname(probe) !== probe) {
    probe = path.dirname(probe);
  }
  const stats = statfsSync(probe);
  const freeMb = Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
  const min = config.recorder.minFreeDiskMb;
  const detail = `${archive}: ${(freeMb / 1024).toFixed(1)} GiB free (minimum ${(min / 1024).toFixed(1)} GiB)`;
  return {
    name: 'disk',
    ok: freeMb >= min,
    detail: freeMb >= min ? detail : `too little space: ${detail}`,
  };
}
