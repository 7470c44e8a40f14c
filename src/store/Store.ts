/**
 * What diemcau keeps across restarts, as an interface: sessions and their bridge
 * points, credentials, connectivity tests, operator accounts and the console's logins.
 * `SqliteStore` implements it in the data directory; a server database could too.
 * Every method is synchronous and each `transaction` is all-or-nothing.
 */
import type { PlannedPoint, PlannedSession, TestSlot } from '../sessions/plan.js';

/** The fields of a session that change after creation. */
export type SessionPatch = Partial<
  Pick<
    PlannedSession,
    | 'title'
    | 'caseSummary'
    | 'category'
    | 'hostLevel'
    | 'chair'
    | 'startsAt'
    | 'endsAt'
    | 'rehearsalAt'
    | 'rehearsalOpen'
    | 'state'
    | 'readyOverride'
    | 'linkMbps'
  >
>;

/** A point's login to the system, as the central point issued it. */
export interface Credential {
  id: string;
  sessionId: string;
  pointId: string;
  /** The login name a clerk types (e.g. `ha-noi-4821`). */
  login: string;
  /** scrypt of the password, which a login is checked against. */
  passwordHash: string;
  /** The password sealed with the server's key, for printing the invitation again. */
  passwordSealed: string;
  issuedAt: Date;
  issuedBy: string;
  expiresAt: Date;
  revokedAt: Date | null;
  printedAt: Date | null;
  /** The first time it was used to sign in or join. */
  usedAt: Date | null;
  failedLogins: number;
  lockedUntil: Date | null;
}

export type NewCredential = Pick<
  Credential,
  | 'id'
  | 'sessionId'
  | 'pointId'
  | 'login'
  | 'passwordHash'
  | 'passwordSealed'
  | 'issuedAt'
  | 'issuedBy'
  | 'expiresAt'
>;

export interface ConnectivityTest {
  id: number;
  sessionId: string;
  pointId: string;
  slot: TestSlot;
  grade: 'pass' | 'warn' | 'fail';
  figures: Record<string, unknown>;
  at: Date;
}

export interface Operator {
  name: string;
  passwordHash: string;
  createdAt: Date;
  /** Raised to revoke every bearer token issued before (removal does it too). */
  tokenVersion: number;
  failedLogins: number;
  lockedUntil: Date | null;
}

/** An operator signed in to the console (a cookie holds its id; the store its hash). */
export interface ConsoleLogin {
  idHash: string;
  operator: string;
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface Store {
  transaction<T>(work: () => T): T;
  close(): void;

  getSession(id: string): PlannedSession | undefined;
  listSessions(): PlannedSession[];
  insertSession(session: PlannedSession): void;
  updateSession(id: string, patch: SessionPatch, at: Date): void;

  listPoints(sessionId: string): PlannedPoint[];
  getPoint(sessionId: string, pointId: string): PlannedPoint | undefined;
  insertPoint(sessionId: string, point: PlannedPoint): void;
  updatePoint(sessionId: string, point: PlannedPoint): void;
  deletePoint(sessionId: string, pointId: string): void;

  insertCredential(credential: NewCredential): void;
  getCredential(id: string): Credential | undefined;
  credentialByLogin(login: string): Credential | undefined;
  currentCredential(sessionId: string, pointId: string): Credential | undefined;
  credentialsOf(sessionId: string): Credential[];
  /** Revokes the point's credentials in force; returns their ids. */
  revokeCredentials(sessionId: string, pointId: string, at: Date): string[];
  markCredential(
    id: string,
    change: { usedAt?: Date; printedAt?: Date; failedLogins?: number; lockedUntil?: Date | null },
  ): void;

  insertTest(test: Omit<ConnectivityTest, 'id'>): number;
  testsOf(sessionId: string): ConnectivityTest[];
  /** Every test kept, by grade (for /metrics). */
  countTestsByGrade(): Record<'pass' | 'warn' | 'fail', number>;

  getOperator(name: string): Operator | undefined;
  listOperators(): Operator[];
  insertOperator(name: string, passwordHash: string, at: Date): void;
  deleteOperator(name: string): boolean;
  markOperator(name: string, change: { failedLogins: number; lockedUntil: Date | null }): void;

  insertConsoleLogin(login: ConsoleLogin): void;
  getConsoleLogin(idHash: string): ConsoleLogin | undefined;
  deleteConsoleLogin(idHash: string): void;
  deleteExpiredConsoleLogins(now: Date): void;
}
