/**
 * Whether a diemcau server already answers where this configuration says it should:
 * `doctor` then knows whose its ports are, and `token` that a key made here would not
 * be the one that server signs with.
 */
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import path from 'node:path';
import { TokenService } from '../auth/TokenService.js';
import { isLoopback, isWildcard } from '../config/addresses.js';
import type { Config } from '../config/schema.js';

export interface RunningServer {
  url: string;
  version: string | null;
  /** With the detail (this machine, or the same signing key): where it archives. */
  archivePath: string | null;
  workerPorts: number[];
}

/** The signing key file of a data directory (made by `serve` on its first start). */
export function signingKeyFile(config: Readonly<Config>): string {
  return path.join(config.dataDir, 'keys', 'jwt-secret');
}

export async function findRunningServer(config: Readonly<Config>): Promise<RunningServer | null> {
  if (config.http.port === 0) {
    return null;
  }
  const host = isWildcard(config.http.host) ? '127.0.0.1' : config.http.host;
  // Served over TLS exactly when http/tls.ts makes it so: a certificate, or a network bind.
  const secure = config.http.tlsCertFile !== null || !isLoopback(config.http.host);
  const url = `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  // With the same key, an operator token shows the detail on a network bind too.
  const secret =
    config.auth.jwtSecret ??
    (existsSync(signingKeyFile(config))
      ? readFileSync(signingKeyFile(config), 'utf8').trim()
      : null);
  const token =
    secret === null
      ? undefined
      : new TokenService(Buffer.from(secret, 'utf8')).issue(
          {
            sessionId: 'cli-probe',
            pointId: 'cli',
            role: 'operator',
            pointName: 'diemcau CLI',
            pointKind: 'central',
          },
          60,
        );
  const body = await getJson(`${url}/healthz`, token);
  if (!body || typeof body['status'] !== 'string') {
    return null;
  }
  const workers = (body['workers'] as { workers?: { port: number }[] } | undefined)?.workers ?? [];
  const disk = body['disk'] as { path?: string } | undefined;
  return {
    url,
    version: typeof body['version'] === 'string' ? body['version'] : null,
    archivePath: disk?.path ?? null,
    workerPorts: workers.map((w) => w.port),
  };
}

function getJson(url: string, token?: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const get = url.startsWith('https') ? https.get : http.get;
    const req = get(
      url,
      {
        timeout: 2000,
        rejectUnauthorized: false,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as Record<string, unknown>);
          } catch {
            resolve(null);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}
