/**
 * The store on SQLite: every SQL statement of diemcau is in this file (and the schema in
 * migrations.ts). A server database could replace it by implementing `Store`.
 */
import type {
  Category,
  ExpectedPerson,
  HostLevel,
  PlannedPoint,
  PlannedSession,
  SessionState,
  TestSlot,
} from '../sessions/plan.js';
import type { Database } from './Database.js';
import type {
  ConnectivityTest,
  ConsoleLogin,
  Credential,
  NewCredential,
  Operator,
  SessionPatch,
  Store,
} from './Store.js';

interface SessionRow {
  id: string;
  ad_hoc: number;
  title: string;
  case_summary: string;
  category: string;
  host_level: string;
  chair: string;
  starts_at: string;
  ends_at: string;
  rehearsal_at: string | null;
  rehearsal_open: number;
  state: string;
  ready_override: string | null;
  created_at: string;
  updated_at: string;
  revision: number;
  link_mbps: number | null;
}

interface PointRow {
  session_id: string;
  id: string;
  kind: string;
  name: string;
  organisation: string;
  people: string;
}

interface CredentialRow {
  id: string;
  session_id: string;
  point_id: string;
  login: string;
  password_hash: string;
  password_sealed: string;
  issued_at: string;
  issued_by: string;
  expires_at: string;
  revoked_at: string | null;
  printed_at: string | null;
  used_at: string | null;
  failed_logins: number;
  locked_until: string | null;
}

interface TestRow {
  id: number;
  session_id: string;
  point_id: string;
  slot: string;
  grade: string;
  figures: string;
  at: string;
}

interface OperatorRow {
  name: string;
  password_hash: string;
  created_at: string;
  token_version: number;
  failed_logins: number;
  locked_until: string | null;
}

const date = (s: string): Date => new Date(s);
const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));
const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function session(r: SessionRow): PlannedSession {
  return {
    id: r.id,
    adHoc: r.ad_hoc === 1,
    title: r.title,
    caseSummary: r.case_summary,
    category: r.category as Category,
    hostLevel: r.host_level as HostLevel,
    chair: r.chair,
    startsAt: date(r.starts_at),
    endsAt: date(r.ends_at),
    rehearsalAt: dateOrNull(r.rehearsal_at),
    rehearsalOpen: r.rehearsal_open === 1,
    state: r.state as SessionState,
    readyOverride: r.ready_override
      ? (JSON.parse(r.ready_override) as PlannedSession['readyOverride'])
      : null,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    revision: r.revision,
    linkMbps: r.link_mbps,
  };
}

function point(r: PointRow): PlannedPoint {
  return {
    id: r.id,
    kind: r.kind as PlannedPoint['kind'],
    name: r.name,
    organisation: r.organisation,
    people: JSON.parse(r.people) as ExpectedPerson[],
  };
}

function credential(r: CredentialRow): Credential {
  return {
    id: r.id,
    sessionId: r.session_id,
    pointId: r.point_id,
    login: r.login,
    passwordHash: r.password_hash,
    passwordSealed: r.password_sealed,
    issuedAt: date(r.issued_at),
    issuedBy: r.issued_by,
    expiresAt: date(r.expires_at),
    revokedAt: dateOrNull(r.revoked_at),
    printedAt: dateOrNull(r.printed_at),
    usedAt: dateOrNull(r.used_at),
    failedLogins: r.failed_logins,
    lockedUntil: dateOrNull(r.locked_until),
  };
}

function test(r: TestRow): ConnectivityTest {
  return {
    id: r.id,
    sessionId: r.session_id,
    pointId: r.point_id,
    slot: r.slot as TestSlot,
    grade: r.grade as ConnectivityTest['grade'],
    figures: JSON.parse(r.figures) as Record<string, unknown>,
    at: date(r.at),
  };
}

function operator(r: OperatorRow): Operator {
  return {
    name: r.name,
    passwordHash: r.password_hash,
    createdAt: date(r.created_at),
    tokenVersion: r.token_version,
    failedLogins: r.failed_logins,
    lockedUntil: dateOrNull(r.locked_until),
  };
}

const SESSION_COLUMNS: Record<keyof SessionPatch, string> = {
  title: 'title',
  caseSummary: 'case_summary',
  category: 'category',
  hostLevel: 'host_level',
  chair: 'chair',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  rehearsalAt: 'rehearsal_at',
  rehearsalOpen: 'rehearsal_open',
  state: 'state',
  readyOverride: 'ready_override',
  linkMbps: 'link_mbps',
};

export class SqliteStore implements Store {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work);
  }

  close(): void {
    this.#db.close();
  }

  // ---- sessions --------------------------------------------------------------------

  getSession(id: string): PlannedSession | undefined {
    const row = this.#db.get<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
    return row ? session(row) : undefined;
  }

  listSessions(): PlannedSession[] {
    return this.#db.all<SessionRow>('SELECT * FROM sessions ORDER BY starts_at, id').map(session);
  }

  insertSession(s: PlannedSession): void {
    this.#db.run(
      `INSERT INTO sessions (id, ad_hoc, title, case_summary, category, host_level, chair,
         starts_at, ends_at, rehearsal_at, rehearsal_open, state, ready_override,
         created_at, updated_at, revision, link_mbps)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id,
      s.adHoc ? 1 : 0,
      s.title,
      s.caseSummary,
      s.category,
      s.hostLevel,
      s.chair,
      iso(s.startsAt),
      iso(s.endsAt),
      isoOrNull(s.rehearsalAt),
      s.rehearsalOpen ? 1 : 0,
      s.state,
      s.readyOverride ? JSON.stringify(s.readyOverride) : null,
      iso(s.createdAt),
      iso(s.updatedAt),
      s.revision,
      s.linkMbps,
    );
  }

  updateSession(id: string, patch: SessionPatch, at: Date): void {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    for (const [key, value] of Object.entries(patch) as [keyof SessionPatch, unknown][]) {
      if (value === undefined) {
        continue;
      }
      sets.push(`${SESSION_COLUMNS[key]} = ?`);
      values.push(
        value instanceof Date
          ? iso(value)
          : typeof value === 'boolean'
            ? Number(value)
            : value !== null && typeof value === 'object'
              ? JSON.stringify(value)
              : (value as string | number | null),
      );
    }
    this.#db.run(
      `UPDATE sessions SET ${[...sets, 'updated_at = ?', 'revision = revision + 1'].join(', ')}
       WHERE id = ?`,
      ...values,
      iso(at),
      id,
    );
  }

  // ---- points ----------------------------------------------------------------------

  listPoints(sessionId: string): PlannedPoint[] {
    return this.#db
      .all<PointRow>('SELECT * FROM points WHERE session_id = ? ORDER BY position', sessionId)
      .map(point);
  }

  getPoint(sessionId: string, pointId: string): PlannedPoint | undefined {
    const row = this.#db.get<PointRow>(
      'SELECT * FROM points WHERE session_id = ? AND id = ?',
      sessionId,
      pointId,
    );
    return row ? point(row) : undefined;
  }

  insertPoint(sessionId: string, p: PlannedPoint): void {
    this.#db.run(
      `INSERT INTO points (session_id, id, kind, name, organisation, people, position)
       VALUES (?, ?, ?, ?, ?, ?,
         (SELECT coalesce(max(position), 0) + 1 FROM points WHERE session_id = ?))`,
      sessionId,
      p.id,
      p.kind,
      p.name,
      p.organisation,
      JSON.stringify(p.people),
      sessionId,
    );
  }

  updatePoint(sessionId: string, p: PlannedPoint): void {
    this.#db.run(
      `UPDATE points SET kind = ?, name = ?, organisation = ?, people = ?
       WHERE session_id = ? AND id = ?`,
      p.kind,
      p.name,
      p.organisation,
      JSON.stringify(p.people),
      sessionId,
      p.id,
    );
  }

  deletePoint(sessionId: string, pointId: string): void {
    this.#db.run('DELETE FROM points WHERE session_id = ? AND id = ?', sessionId, pointId);
  }

  // ---- credentials -----------------------------------------------------------------

  insertCredential(c: NewCredential): void {
    this.#db.run(
      `INSERT INTO credentials (id, session_id, point_id, login, password_hash,
         password_sealed, issued_at, issued_by, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      c.sessionId,
      c.pointId,
      c.login,
      c.passwordHash,
      c.passwordSealed,
      iso(c.issuedAt),
      c.issuedBy,
      iso(c.expiresAt),
    );
  }

  getCredential(id: string): Credential | undefined {
    const row = this.#db.get<CredentialRow>('SELECT * FROM credentials WHERE id = ?', id);
    return row ? credential(row) : undefined;
  }

  credentialByLogin(login: string): Credential | undefined {
    const row = this.#db.get<CredentialRow>(
      'SELECT * FROM credentials WHERE login = ? AND revoked_at IS NULL',
      login,
    );
    return row ? credential(row) : undefined;
  }

  /** The point's credential in force (not revoked), if any. */
  currentCredential(sessionId: string, pointId: string): Credential | undefined {
    const row = this.#db.get<CredentialRow>(
      `SELECT * FROM credentials WHERE session_id = ? AND point_id = ? AND revoked_at IS NULL
       ORDER BY issued_at DESC LIMIT 1`,
      sessionId,
      pointId,
    );
    return row ? credential(row) : undefined;
  }

  credentialsOf(sessionId: string): Credential[] {
    return this.#db
      .all<CredentialRow>(
        'SELECT * FROM credentials WHERE session_id = ? ORDER BY issued_at',
        sessionId,
      )
      .map(credential);
  }

  revokeCredentials(sessionId: string, pointId: string, at: Date): string[] {
    const ids = this.#db
      .all<{ id: string }>(
        `SELECT id FROM credentials WHERE session_id = ? AND point_id = ? AND revoked_at IS NULL`,
        sessionId,
        pointId,
      )
      .map((r) => r.id);
    this.#db.run(
      `UPDATE credentials SET revoked_at = ?
       WHERE session_id = ? AND point_id = ? AND revoked_at IS NULL`,
      iso(at),
      sessionId,
      pointId,
    );
    return ids;
  }

  markCredential(
    id: string,
    change: { usedAt?: Date; printedAt?: Date; failedLogins?: number; lockedUntil?: Date | null },
  ): void {
    const sets: string[] = [];
    const values: (string | number | null)[] = [];
    if (change.usedAt) {
      sets.push('used_at = ?');
      values.push(iso(change.usedAt));
    }
    if (change.printedAt) {
      sets.push('printed_at = ?');
      values.push(iso(change.printedAt));
    }
    if (change.failedLogins !== undefined) {
      sets.push('failed_logins = ?');
      values.push(change.failedLogins);
    }
    if (change.lockedUntil !== undefined) {
      sets.push('locked_until = ?');
      values.push(isoOrNull(change.lockedUntil));
    }
    if (sets.length > 0) {
      this.#db.run(`UPDATE credentials SET ${sets.join(', ')} WHERE id = ?`, ...values, id);
    }
  }

  // ---- connectivity tests ------------------------------------------------------------

  insertTest(t: Omit<ConnectivityTest, 'id'>): number {
    this.#db.run(
      `INSERT INTO connectivity_tests (session_id, point_id, slot, grade, figures, at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      t.sessionId,
      t.pointId,
      t.slot,
      t.grade,
      JSON.stringify(t.figures),
      iso(t.at),
    );
    return Number(this.#db.get<{ id: number }>('SELECT last_insert_rowid() AS id')?.id ?? 0);
  }

  testsOf(sessionId: string): ConnectivityTest[] {
    return this.#db
      .all<TestRow>(
        'SELECT * FROM connectivity_tests WHERE session_id = ? ORDER BY at, id',
        sessionId,
      )
      .map(test);
  }

  countTestsByGrade(): Record<'pass' | 'warn' | 'fail', number> {
    const counts = { pass: 0, warn: 0, fail: 0 };
    for (const row of this.#db.all<{ grade: string; n: number }>(
      'SELECT grade, COUNT(*) AS n FROM connectivity_tests GROUP BY grade',
    )) {
      if (row.grade === 'pass' || row.grade === 'warn' || row.grade === 'fail') {
        counts[row.grade] = Number(row.n);
      }
    }
    return counts;
  }

  // ---- operators ---------------------------------------------------------------------

  getOperator(name: string): Operator | undefined {
    const row = this.#db.get<OperatorRow>('SELECT * FROM operators WHERE name = ?', name);
    return row ? operator(row) : undefined;
  }

  listOperators(): Operator[] {
    return this.#db.all<OperatorRow>('SELECT * FROM operators ORDER BY name').map(operator);
  }

  insertOperator(name: string, passwordHash: string, at: Date): void {
    this.#db.run(
      'INSERT INTO operators (name, password_hash, created_at) VALUES (?, ?, ?)',
      name,
      passwordHash,
      iso(at),
    );
  }

  deleteOperator(name: string): boolean {
    return this.#db.run('DELETE FROM operators WHERE name = ?', name).changes > 0;
  }

  markOperator(name: string, change: { failedLogins: number; lockedUntil: Date | null }): void {
    this.#db.run(
      'UPDATE operators SET failed_logins = ?, locked_until = ? WHERE name = ?',
      change.failedLogins,
      isoOrNull(change.lockedUntil),
      name,
    );
  }

  // ---- the console's logins ----------------------------------------------------------

  insertConsoleLogin(login: ConsoleLogin): void {
    this.#db.run(
      `INSERT INTO console_sessions (id_hash, operator, csrf, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?)`,
      login.idHash,
      login.operator,
      login.csrf,
      iso(login.createdAt),
      iso(login.expiresAt),
    );
  }

  getConsoleLogin(idHash: string): ConsoleLogin | undefined {
    const row = this.#db.get<{
      id_hash: string;
      operator: string;
      csrf: string;
      created_at: string;
      expires_at: string;
    }>('SELECT * FROM console_sessions WHERE id_hash = ?', idHash);
    return row
      ? {
          idHash: row.id_hash,
          operator: row.operator,
          csrf: row.csrf,
          createdAt: date(row.created_at),
          expiresAt: date(row.expires_at),
        }
      : undefined;
  }

  deleteConsoleLogin(idHash: string): void {
    this.#db.run('DELETE FROM console_sessions WHERE id_hash = ?', idHash);
  }

  deleteExpiredConsoleLogins(now: Date): void {
    this.#db.run('DELETE FROM console_sessions WHERE expires_at < ?', iso(now));
  }
}
