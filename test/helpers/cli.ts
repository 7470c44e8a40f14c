import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../common/paths.js';

export const DIEMCAU_BIN = path.join(projectRoot, 'bin', 'diemcau');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `diemcau` command, as an operator or a script would. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DIEMCAU_BIN, args, { env: { ...cleanEnv(), ...env }, cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment without any DIEMCAU_* a developer may have set in their shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('DIEMCAU_') || k === 'DIEMCAU_CACHE_DIR',
    ),
  );
}

const scratch = new Set<string>();

/**
 * A directory of its own for a test's data, removed when the test's process exits: the
 * suite writes recordings and worker binaries there, and left behind, a few runs filled
 * hundreds of megabytes of /tmp. DIEMCAU_KEEP_TEST_DIRS=1 keeps them for a post-mortem.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `diemcau-${prefix}-`));
  if (scratch.size === 0 && !process.env['DIEMCAU_KEEP_TEST_DIRS']) {
    process.once('exit', removeScratch);
  }
  scratch.add(dir);
  return dir;
}

function removeScratch(): void {
  for (const dir of scratch) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A server the test started may still be writing there as it exits: left behind.
    }
  }
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  logs: string[];
  stderr: string[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Starts `diemcau serve` and waits for its "diemcau ready" log line. */
export async function startServer(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = spawn(DIEMCAU_BIN, ['serve'], {
    // No demo session unless a test asks for one: tests plan their own.
    env: { ...cleanEnv(), DIEMCAU_HTTP_PORT: '0', DIEMCAU_SESSIONS_DEMO: 'false', ...env },
    cwd: projectRoot,
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${stderr.join('')}`)),
      30_000,
    );
    // The operator's line on stderr names the address whatever the log level.
    child.stderr.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      const listening = / listening on (\S+) /.exec(stderr.join(''));
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1] as string);
      }
    });
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'diemcau ready' && entry.url) {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // Not a log line; kept in `logs` for the assertion messages.
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code} before ready: ${stderr.join('')}`));
    });
  });
  return { child, url, logs, stderr, exited };
}
