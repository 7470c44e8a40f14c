import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

// A hostile machine on the LAN, run as a process of its own at the lowest CPU priority: on
// a real network the flood's sender spends its own processor, so here it must not take the
// two cores from the server and the browsers it attacks, or a test would measure the
// attacker's cost rather than the server's defence.

export interface FloodOutcome {
  status: number;
  code?: string;
}

export interface IdleSocketEnd {
  refused?: number;
  closeCode?: number;
}

export interface FloodReport {
  http: FloodOutcome[];
  sockets: IdleSocketEnd[];
}

/** Floods `baseUrl` from a child process for `ms`; resolves with what each request got. */
export function floodFromAnotherMachine(baseUrl: string, ms: number): Promise<FloodReport> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), baseUrl, String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.pid !== undefined) {
    setPriority(child.pid, 19);
  }
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`flood machine exited with ${code}`));
        return;
      }
      resolve(JSON.parse(out) as FloodReport);
    });
  });
}

/** A GET and how it ended: its status and, for a JSON error, its code. */
export async function requestOutcome(url: string, token?: string): Promise<FloodOutcome> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    await res.arrayBuffer();
    return { status: res.status };
  }
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
}

function idleSocket(baseUrl: string): Promise<IdleSocketEnd> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => resolve({ closeCode: code }));
  });
}

/** 80 sockets that never authenticate, and 20 requests at a time for `ms`. */
async function flood(baseUrl: string, ms: number): Promise<FloodReport> {
  const until = Date.now() + ms;
  const sockets = Array.from({ length: 80 }, () => idleSocket(baseUrl));
  const http: FloodOutcome[] = [];
  while (Date.now() < until) {
    const batch = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        requestOutcome(
          `${baseUrl}${i % 2 === 0 ? '/healthz' : '/bandwidth-test?bytes=1000000'}`,
        ).catch(() => ({
          status: 0,
        })),
      ),
    );
    http.push(...batch);
  }
  return { http, sockets: await Promise.all(sockets) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [baseUrl, ms] = process.argv.slice(2);
  if (baseUrl === undefined || ms === undefined) {
    process.stderr.write('usage: floodMachine.js <base url> <milliseconds>\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await flood(baseUrl, Number(ms))));
}
