/**
 * The embedded database: SQLite in `<dataDir>/diemcau.db` through Node's own `node:sqlite`
 * (nothing to build or install). WAL mode, so a running server and the command line use
 * the same file at once; a writer waits for another's lock (busy timeout) instead of
 * failing; migrations are applied in order at open, each once (`user_version`).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { errors } from '../../common/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Row = Record<string, SQLInputValue>;

/** How long a write waits for another process's lock before it is refused. */
const BUSY_TIMEOUT_MS = 10_000;

export class Database {
  readonly file: string;
  readonly #db: DatabaseSync;
  #closed = false;

  static open(dataDir: string): Database {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, 'diemcau.db');
    const fresh = !existsSync(file);
    const db = new Database(file);
    if (fresh) {
      // The credentials' hashes and the sessions' cases are for the central point only.
      chmodSync(file, 0o600);
    }
    return db;
  }

  /** An in-memory database, for tests of the rules alone. */
  static memory(): Database {
    return new Database(':memory:');
  }

  private constructor(file: string) {
    this.file = file;
    this.#db = new DatabaseSync(file);
    this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (file !== ':memory:') {
      this.#db.exec('PRAGMA journal_mode = WAL');
    }
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#migrate();
  }

  /** The schema version this database is at. */
  get version(): number {
    return Number((this.#db.prepare('PRAGMA user_version').get() as Row)['user_version']);
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#db.prepare(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#db.prepare(sql).get(...params) as T | undefined;
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const result = this.#db.prepare(sql).run(...params);
    return { changes: Number(result.changes) };
  }

  /**
   * `work` as one transaction, taking the write lock first (BEGIN IMMEDIATE): a
   * read-then-write by the server and one by the command line cannot interleave, so no
   * update is lost. Rolled back if `work` throws.
   */
  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
  }

  #migrate(): void {
    const at = this.version;
    if (at > MIGRATIONS.length) {
      throw new errors.STORE_TOO_NEW(String(at), String(MIGRATIONS.length));
    }
    for (let v = at; v < MIGRATIONS.length; v++) {
      this.transaction(() => {
        this.#db.exec(MIGRATIONS[v] as string);
        this.#db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }
}
