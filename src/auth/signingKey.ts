import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';

/**
 * The token signing key: configured (`auth.jwtSecret`), else made once into
 * `<dataDir>/keys/jwt-secret` (0600) so `diemcau token` and `diemcau serve` on the same
 * data directory agree, and tokens outlive a restart.
 */
export function loadSigningKey(config: Readonly<Config>): Buffer {
  if (config.auth.jwtSecret !== null) {
    return Buffer.from(config.auth.jwtSecret, 'utf8');
  }
  const dir = path.join(config.dataDir, 'keys');
  const file = path.join(dir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}
