import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { findOnPath } from '../../archive/ffmpegBinary.js';

/**
 * Debian's Firefox ESR as a delegate PC, driven over WebDriver BiDi (built into Firefox;
 * playwright-core drives only its own patched Firefox, which an air-gapped site cannot
 * download). Fake camera and microphone, no permission prompt.
 */
const PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

export class Firefox {
  readonly #child: ChildProcess;
  readonly #socket: WebSocket;
  readonly #profile: string;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #nextId = 1;
  #closed = false;

  private constructor(child: ChildProcess, socket: WebSocket, profile: string) {
    this.#child = child;
    this.#socket = socket;
    this.#profile = profile;
    socket.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as {
        id?: number;
        type: string;
        result?: unknown;
        error?: string;
        message?: string;
      };
      const waiting = msg.id === undefined ? undefined : this.#pending.get(msg.id);
      if (waiting && msg.id !== undefined) {
        this.#pending.delete(msg.id);
        if (msg.type === 'error') {
          waiting.reject(new Error(`firefox: ${msg.error ?? '?'}: ${msg.message ?? ''}`));
        } else {
          waiting.resolve(msg.result);
        }
      }
    });
  }

  static async launch(): Promise<Firefox> {
    const executable = findOnPath('firefox-esr') ?? findOnPath('firefox');
    if (!executable) {
      throw new Error('firefox-esr is not installed: run `npm run setup`');
    }
    const profile = mkdtempSync(path.join(tmpdir(), 'diemcau-firefox-'));
    writeFileSync(
      path.join(profile, 'user.js'),
      Object.entries(PREFS)
        .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`)
        .join(''),
    );
    const child = spawn(
      executable,
      ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MOZ_HEADLESS: '1' } },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`Firefox did not start its WebDriver BiDi server: ${seen}`)),
        30_000,
      );
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(seen);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Firefox exited (${code}): ${seen}`));
      });
    });
    const socket = new WebSocket(`${url}/session`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const firefox = new Firefox(child, socket, profile);
    await firefox.send('session.new', { capabilities: {} });
    return firefox;
  }

  send(method: string, params: object): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A new tab, at `url` once loaded. */
  async open(url: string): Promise<FirefoxPage> {
    const { context } = (await this.send('browsingContext.create', { type: 'tab' })) as {
      context: string;
    };
    await this.send('browsingContext.navigate', { context, url, wait: 'complete' });
    return new FirefoxPage(this, context);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.send('browser.close', {}).catch(() => undefined);
    this.#socket.close();
    await new Promise<void>((resolve) => {
      if (this.#child.exitCode !== null) {
        resolve();
        return;
      }
      const kill = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      this.#child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
    });
    rmSync(this.#profile, { recursive: true, force: true });
  }
}

export class FirefoxPage {
  readonly #firefox: Firefox;
  readonly #context: string;

  constructor(firefox: Firefox, context: string) {
    this.#firefox = firefox;
    this.#context = context;
  }

  /**
   * Runs `fn` in the page (as a user's gesture, so media may play) and returns its
   * result, which must survive JSON.
   */
  async evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    const result = (await this.#firefox.send('script.evaluate', {
      expression: `(async () => JSON.stringify(await (${fn.toString()})(${JSON.stringify(arg ?? null)}) ?? null))()`,
      target: { context: this.#context },
      awaitPromise: true,
      userActivation: true,
    })) as { type: string; result?: { value?: string }; exceptionDetails?: { text?: string } };
    if (result.type === 'exception') {
      throw new Error(`in Firefox's page: ${result.exceptionDetails?.text ?? '?'}`);
    }
    return JSON.parse(result.result?.value ?? 'null') as R;
  }

  /** Polls `fn` until it returns something truthy; returns that. */
  async waitFor<R, A = undefined>(
    fn: (arg: A) => R | Promise<R>,
    arg: A,
    timeoutMs: number,
    what: string,
  ): Promise<NonNullable<R>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate(fn, arg);
      if (value) {
        return value;
      }
      if (Date.now() > deadline) {
        throw new Error(`Firefox: ${what} after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
