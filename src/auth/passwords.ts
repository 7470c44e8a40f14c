/**
 * The passwords of points' logins and operator accounts: scrypt from `node:crypto`, with a
 * salt each, stored as `scrypt$N$r$p$salt$hash`; compared in constant time. A point's
 * password is made to be read aloud over the phone and typed by a clerk: 8 letters and
 * digits in two groups, without the ones that look alike (0/o, 1/l/i).
 */
import { randomBytes, randomInt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFC'), salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(
    password.normalize('NFC'),
    Buffer.from(salt, 'base64url'),
    expected.length,
    {
      N: Number(n),
      r: Number(r),
      p: Number(p),
    },
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const READABLE = 'abcdefghjkmnpqrstuvwxyz23456789';

/** e.g. `k7fm-3qpa`: about 40 bits, enough behind a lock after five wrong tries. */
export function readablePassword(): string {
  const pick = (n: number): string =>
    Array.from({ length: n }, () => READABLE[randomInt(READABLE.length)]).join('');
  return `${pick(4)}-${pick(4)}`;
}

/** A point's login name: its id and four digits, e.g. `ha-noi-4821`. */
export function loginFor(pointId: string): string {
  return `${pointId.toLowerCase().slice(0, 40)}-${String(randomInt(10_000)).padStart(4, '0')}`;
}
