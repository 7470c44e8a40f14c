/**
 * Each bridge point's login to the system, as the central point issues it (Decision 748
 * art. 6: "tên và mật khẩu do quản trị tại điểm cầu chính cung cấp"): a join link with a
 * token, and a login name with a short password a clerk can type. Valid from issue until
 * the planned end plus a grace; revocable; re-issuing revokes the old one at once (and
 * cuts a connection that used it). Five wrong passwords lock a login for a while.
 */
import { randomUUID } from 'node:crypto';
import { errors } from '../../common/errors.js';
import { hashPassword, loginFor, readablePassword, verifyPassword } from '../auth/passwords.js';
import type { Sealer } from '../auth/Sealer.js';
import type { TokenService, VerifiedToken } from '../auth/TokenService.js';
import type { Credential } from '../store/Store.js';
import { mayJoin } from './lifecycle.js';
import { CREDENTIAL_GRACE_MS, type PlannedPoint, type PlannedSession } from './plan.js';
import type { SessionService } from './SessionService.js';

export const MAX_FAILED_LOGINS = 5;
export const LOGIN_LOCK_MS = 15 * 60_000;

/** What the central point hands a delegate point: shown once (the password is not kept). */
export interface IssuedCredential {
  credentialId: string;
  pointId: string;
  joinUrl: string;
  token: string;
  login: string;
  password: string;
  expiresAt: string;
}

export interface CredentialsOptions {
  sessions: SessionService;
  tokens: TokenService;
  /** The address delegates open (`https://…:4443`), for join links. */
  publicUrl: () => string;
  sealer: Sealer;
  /** Credentials revoked: live connections using them are cut. */
  onRevoked?: (sessionId: string, pointId: string, credentialIds: string[]) => void;
}

export class Credentials {
  readonly #o: CredentialsOptions;

  constructor(options: CredentialsOptions) {
    this.#o = options;
  }

  /** Issues (or re-issues, revoking the old) the point's credential. */
  issue(sessionId: string, pointId: string, by: string): IssuedCredential {
    const { sessions } = this.#o;
    const store = sessions.store;
    const now = sessions.now();
    const password = readablePassword();
    const { session, point, credential, revoked } = store.transaction(() => {
      const s = sessions.get(sessionId);
      if (s.state === 'ended' || s.state === 'archived' || s.state === 'cancelled') {
        throw new errors.SESSION_NOT_EDITABLE(s.state);
      }
      const p = sessions.point(sessionId, pointId);
      const gone = store.revokeCredentials(sessionId, pointId, now);
      let login = loginFor(pointId);
      while (store.credentialByLogin(login)) {
        login = loginFor(pointId);
      }
      const c = {
        id: randomUUID(),
        sessionId,
        pointId,
        login,
        passwordHash: hashPassword(password),
        passwordSealed: this.#o.sealer.seal(password),
        issuedAt: now,
        issuedBy: by,
        expiresAt: new Date(s.endsAt.getTime() + CREDENTIAL_GRACE_MS),
      };
      store.insertCredential(c);
      return { session: s, point: p, credential: c, revoked: gone };
    });
    if (revoked.length > 0) {
      sessions.audit(sessionId, 'credential-revoked', by, { replaced: true }, pointId);
      this.#o.onRevoked?.(sessionId, pointId, revoked);
    }
    sessions.audit(
      sessionId,
      'credential-issued',
      by,
      { login: credential.login, expiresAt: credential.expiresAt.toISOString() },
      pointId,
    );
    sessions.settle(sessionId, by);
    const token = this.#token(session, point, credential.id, credential.expiresAt);
    return {
      credentialId: credential.id,
      pointId,
      joinUrl: `${this.#o.publicUrl()}/join?token=${encodeURIComponent(token)}`,
      token,
      login: credential.login,
      password,
      expiresAt: credential.expiresAt.toISOString(),
    };
  }

  revoke(sessionId: string, pointId: string, by: string): void {
    const { sessions } = this.#o;
    const revoked = sessions.store.transaction(() => {
      sessions.get(sessionId);
      sessions.point(sessionId, pointId);
      return sessions.store.revokeCredentials(sessionId, pointId, sessions.now());
    });
    if (revoked.length === 0) {
      throw new errors.NOT_FOUND(`a credential in force for ${pointId}`);
    }
    sessions.audit(sessionId, 'credential-revoked', by, {}, pointId);
    this.#o.onRevoked?.(sessionId, pointId, revoked);
    sessions.settle(sessionId, by);
  }

  /** The point's credential in force, without its secrets. */
  current(sessionId: string, pointId: string): Credential | undefined {
    return this.#o.sessions.store.currentCredential(sessionId, pointId);
  }

  /**
   * The point's credential in force as its invitation shows it: the join link (a fresh
   * token for the same credential), the login and the password; null if none is in force.
   */
  reprint(sessionId: string, pointId: string): Omit<IssuedCredential, 'token'> | null {
    const { sessions } = this.#o;
    const c = this.current(sessionId, pointId);
    if (!c || c.expiresAt <= sessions.now()) {
      return null;
    }
    const token = this.#token(
      sessions.get(sessionId),
      sessions.point(sessionId, pointId),
      c.id,
      c.expiresAt,
    );
    return {
      credentialId: c.id,
      pointId,
      joinUrl: `${this.#o.publicUrl()}/join?token=${encodeURIComponent(token)}`,
      login: c.login,
      password: this.#o.sealer.open(c.passwordSealed) ?? '',
      expiresAt: c.expiresAt.toISOString(),
    };
  }

  markPrinted(sessionId: string, pointId: string): void {
    const c = this.current(sessionId, pointId);
    if (c && !c.printedAt) {
      this.#o.sessions.store.markCredential(c.id, { printedAt: this.#o.sessions.now() });
    }
  }

  /**
   * A delegate without a link signs in with its login and password: a token for its
   * credential. Five wrong passwords lock the login for a while.
   */
  login(login: string, password: string): { token: string; sessionId: string; pointId: string } {
    const { sessions } = this.#o;
    const store = sessions.store;
    const now = sessions.now();
    const outcome = store.transaction(() => {
      const c = store.credentialByLogin(login.trim().toLowerCase());
      if (!c) {
        return { error: new errors.LOGIN_FAILED() };
      }
      if (c.lockedUntil && c.lockedUntil > now) {
        return { error: new errors.LOGIN_LOCKED(c.lockedUntil.toISOString()) };
      }
      if (!verifyPassword(password, c.passwordHash)) {
        const failed = c.failedLogins + 1;
        const lockedUntil =
          failed >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOGIN_LOCK_MS) : null;
        store.markCredential(c.id, { failedLogins: lockedUntil ? 0 : failed, lockedUntil });
        return {
          error: lockedUntil
            ? new errors.LOGIN_LOCKED(lockedUntil.toISOString())
            : new errors.LOGIN_FAILED(),
          locked: lockedUntil !== null,
          credential: c,
        };
      }
      if (c.expiresAt <= now) {
        return { error: new errors.TOKEN_EXPIRED() };
      }
      store.markCredential(c.id, { failedLogins: 0, lockedUntil: null, usedAt: c.usedAt ?? now });
      return { credential: c };
    });
    if ('locked' in outcome && outcome.locked && outcome.credential) {
      sessions.audit(
        outcome.credential.sessionId,
        'login-locked',
        'login',
        { login: outcome.credential.login },
        outcome.credential.pointId,
      );
    }
    if (outcome.error) {
      throw outcome.error;
    }
    const c = outcome.credential;
    const session = sessions.get(c.sessionId);
    const point = sessions.point(c.sessionId, c.pointId);
    return {
      token: this.#token(session, point, c.id, c.expiresAt),
      sessionId: c.sessionId,
      pointId: c.pointId,
    };
  }

  /**
   * Whether a verified token may be used now: its session exists and is not over, its
   * credential (for a planned session) is the one in force for that point. `joining`:
   * into the room (the session must be live, or its rehearsal open). Ad-hoc tokens open
   * an ad-hoc session; a planned session is joined only with its points' credentials.
   */
  /**
   * A connectivity test: a planned session's credential as for joining, in any state
   * before the end; an ad-hoc token may test, but its session is not created for it.
   */
  authorizeTest(claims: VerifiedToken): void {
    if (claims.credentialId === undefined) {
      const existing = this.#o.sessions.store.getSession(claims.sessionId);
      if (existing && !existing.adHoc) {
        throw new errors.TOKEN_INVALID('a planned session is joined with its credentials');
      }
      return;
    }
    this.authorize(claims, false);
  }

  authorize(claims: VerifiedToken, joining: boolean): PlannedSession {
    const { sessions } = this.#o;
    const existing = sessions.store.getSession(claims.sessionId);
    if (claims.credentialId === undefined) {
      if (existing && !existing.adHoc) {
        throw new errors.TOKEN_INVALID('a planned session is joined with its credentials');
      }
      return existing ?? sessions.openAdHoc(claims.sessionId);
    }
    if (!existing || existing.adHoc) {
      throw new errors.SESSION_NOT_FOUND(claims.sessionId);
    }
    const c = sessions.store.getCredential(claims.credentialId);
    if (!c || c.sessionId !== claims.sessionId || c.pointId !== claims.pointId) {
      throw new errors.TOKEN_INVALID('not a credential of this session');
    }
    if (c.revokedAt) {
      throw new errors.CREDENTIAL_REVOKED();
    }
    if (c.expiresAt <= sessions.now()) {
      throw new errors.TOKEN_EXPIRED();
    }
    if (
      existing.state === 'ended' ||
      existing.state === 'archived' ||
      existing.state === 'cancelled'
    ) {
      throw new errors.SESSION_ENDED(existing.state);
    }
    if (joining && !mayJoin(existing)) {
      throw new errors.SESSION_NOT_OPEN(existing.state);
    }
    if (!c.usedAt) {
      sessions.store.markCredential(c.id, { usedAt: sessions.now() });
    }
    return existing;
  }

  #token(
    session: PlannedSession,
    point: PlannedPoint,
    credentialId: string,
    expiresAt: Date,
  ): string {
    const ttl = Math.max(60, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
    return this.#o.tokens.issue(
      {
        sessionId: session.id,
        pointId: point.id,
        role: point.kind === 'central' ? 'host' : 'delegate',
        pointName: point.name.slice(0, 120),
        pointKind: point.kind,
        credentialId,
      },
      ttl,
    );
  }
}
