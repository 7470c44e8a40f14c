/**
 * The central point's operator accounts: a name and a scrypt-hashed password, created on
 * the command line (`diemcau operator add NAME --password-stdin`). An account signs in
 * to the console (a cookie login with its CSRF token, kept in the store, expiring), and
 * gives scripts bearer tokens (`diemcau operator token NAME`), all revoked with the
 * account. Five wrong passwords lock an account for a while.
 */
import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { errors } from '../../common/errors.js';
import type { Store } from '../store/Store.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const OPERATOR_NAME = /^[a-z][a-z0-9._-]{1,31}$/;
const AUDIENCE = 'diemcau-operator';
const MAX_FAILED = 5;
const LOCK_MS = 15 * 60_000;
/** A console login lasts a working day; the cookie says the same. */
export const CONSOLE_LOGIN_MS = 12 * 3_600_000;

export interface OperatorView {
  name: string;
  createdAt: string;
}

export class Operators {
  readonly #store: Store;
  readonly #secret: Buffer;
  readonly #now: () => Date;

  constructor(store: Store, signingKey: Buffer, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#secret = signingKey;
    this.#now = now;
  }

  add(name: string, password: string): OperatorView {
    if (!OPERATOR_NAME.test(name)) {
      throw new errors.BAD_REQUEST(
        'name: 2-32 lower-case letters, digits, ".", "_" or "-", starting with a letter',
      );
    }
    if (password.length < 10 || password.length > 200) {
      throw new errors.BAD_REQUEST('password: 10 to 200 characters');
    }
    const at = this.#now();
    this.#store.transaction(() => {
      if (this.#store.getOperator(name)) {
        throw new errors.OPERATOR_EXISTS(name);
      }
      this.#store.insertOperator(name, hashPassword(password), at);
    });
    return { name, createdAt: at.toISOString() };
  }

  remove(name: string): void {
    if (!this.#store.deleteOperator(name)) {
      throw new errors.OPERATOR_NOT_FOUND(name);
    }
  }

  list(): OperatorView[] {
    return this.#store
      .listOperators()
      .map((o) => ({ name: o.name, createdAt: o.createdAt.toISOString() }));
  }

  /** A bearer token for scripts; valid until `ttlSeconds` or the account's removal. */
  token(name: string, ttlSeconds: number): { token: string; expiresAt: string } {
    const operator = this.#store.getOperator(name);
    if (!operator) {
      throw new errors.OPERATOR_NOT_FOUND(name);
    }
    const token = jwt.sign({ tv: operator.tokenVersion }, this.#secret, {
      algorithm: 'HS256',
      audience: AUDIENCE,
      subject: name,
      expiresIn: ttlSeconds,
      issuer: 'diemcau',
    });
    return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  /** The operator a bearer token stands for, or null if it is not an account's token. */
  verifyToken(token: string): string | null {
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.#secret, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        issuer: 'diemcau',
      }) as jwt.JwtPayload;
    } catch {
      return null;
    }
    const operator = typeof payload.sub === 'string' ? this.#store.getOperator(payload.sub) : null;
    return operator && payload['tv'] === operator.tokenVersion ? operator.name : null;
  }

  /** Signs in to the console: the cookie's value, the CSRF token and the expiry. */
  login(name: string, password: string): { id: string; csrf: string; expiresAt: Date } {
    const now = this.#now();
    const outcome = this.#store.transaction(() => {
      const operator = this.#store.getOperator(name);
      if (!operator) {
        return new errors.LOGIN_FAILED();
      }
      if (operator.lockedUntil && operator.lockedUntil > now) {
        return new errors.LOGIN_LOCKED(operator.lockedUntil.toISOString());
      }
      if (!verifyPassword(password, operator.passwordHash)) {
        const failed = operator.failedLogins + 1;
        const lockedUntil = failed >= MAX_FAILED ? new Date(now.getTime() + LOCK_MS) : null;
        this.#store.markOperator(name, { failedLogins: lockedUntil ? 0 : failed, lockedUntil });
        return lockedUntil
          ? new errors.LOGIN_LOCKED(lockedUntil.toISOString())
          : new errors.LOGIN_FAILED();
      }
      this.#store.markOperator(name, { failedLogins: 0, lockedUntil: null });
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      const expiresAt = new Date(now.getTime() + CONSOLE_LOGIN_MS);
      this.#store.deleteExpiredConsoleLogins(now);
      this.#store.insertConsoleLogin({
        idHash: digest(id),
        operator: name,
        csrf,
        createdAt: now,
        expiresAt,
      });
      return { id, csrf, expiresAt };
    });
    if (outcome instanceof Error) {
      throw outcome;
    }
    return outcome;
  }

  /** The console login a cookie holds, if it is valid: its operator and CSRF token. */
  consoleLogin(id: string): { operator: string; csrf: string } | null {
    const login = this.#store.getConsoleLogin(digest(id));
    if (!login || login.expiresAt <= this.#now()) {
      return null;
    }
    return { operator: login.operator, csrf: login.csrf };
  }

  logout(id: string): void {
    this.#store.deleteConsoleLogin(digest(id));
  }
}

/** The store keeps a login's hash: a copy of the database opens no console. */
function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
