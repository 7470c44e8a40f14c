/**
 * `audit.jsonl` of a session's archive (docs/contract.md, "Archive"): one JSON line per event
 * (joins, leaves, controls, media resets), append-only and hash-chained: each line
 * carries the previous line's hash and its own, so an edited, removed or reordered line
 * breaks the chain at that point. Lines are written and fsynced one at a time, so a
 * crash loses at most the line being written, and reopening resumes the chain.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export const GENESIS_HASH = '0'.repeat(64);

/** What is recorded: a session event, as `sessions/Session.ts` emits it. */
export interface AuditRecord {
  at: string;
  sessionId: string;
  type: string;
  pointId?: string;
  by?: string;
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditRecord {
  seq: number;
  prev: string;
  hash: string;
}

/** The hash of a line is over the previous hash and the line without its own hash. */
export function entryHash(prev: string, body: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256')
    .update(`${prev}\n${JSON.stringify(body)}`)
    .digest('hex');
}

export class AuditLog {
  readonly file: string;
  #fd: number | null;
  #seq: number;
  #prev: string;

  /** Opens (or creates, 0600 in a 0700 directory) and resumes after the last valid line. */
  static open(file: string): AuditLog {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let seq = 0;
    let prev = GENESIS_HASH;
    if (existsSync(file)) {
      const result = verifyAuditLog(file);
      const last = result.entries[result.entries.length - 1];
      if (last) {
        seq = last.seq;
        prev = last.hash;
      }
    }
    // Read too: each append finds the last line on disk.
    const fd = openSync(file, 'a+', 0o600);
    // A crash can tear the last line; the next entry starts on a line of its own
    // (verify names the torn line, and the chain goes on from the last whole one).
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.length > 0 && !text.endsWith('\n')) {
      writeSync(fd, '\n');
    }
    return new AuditLog(file, fd, seq, prev);
  }

  private constructor(file: string, fd: number, seq: number, prev: string) {
    this.file = file;
    this.#fd = fd;
    this.#seq = seq;
    this.#prev = prev;
  }

  /**
   * Appends one line, chained to the file's last line as it is on disk now: the live
   * session, the session's planning (from the server or the command line) and the
   * archive's end may each write to it, and the chain holds (a lock file serialises
   * them, across processes too).
   */
  append(record: AuditRecord): AuditEntry {
    if (this.#fd === null) {
      throw new Error(`audit log ${this.file} is closed`);
    }
    const fd = this.#fd;
    return withLock(`${this.file}.lock`, () => {
      const last = lastEntry(fd);
      if (last) {
        this.#seq = last.seq;
        this.#prev = last.hash;
      }
      return this.#write(fd, record);
    });
  }

  #write(fd: number, record: AuditRecord): AuditEntry {
    const body: Omit<AuditEntry, 'hash'> = {
      seq: this.#seq + 1,
      at: record.at,
      sessionId: record.sessionId,
      type: record.type,
      ...(record.pointId !== undefined ? { pointId: record.pointId } : {}),
      ...(record.by !== undefined ? { by: record.by } : {}),
      ...(record.detail !== undefined ? { detail: record.detail } : {}),
      prev: this.#prev,
    };
    const entry: AuditEntry = { ...body, hash: entryHash(this.#prev, body) };
    writeSync(fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(fd);
    this.#seq = entry.seq;
    this.#prev = entry.hash;
    return entry;
  }

  close(): void {
    if (this.#fd !== null) {
      closeSync(this.#fd);
      this.#fd = null;
    }
  }
}

/** The last whole line of the file, read from its tail. */
function lastEntry(fd: number): AuditEntry | null {
  const size = fstatSync(fd).size;
  for (let span = 64 * 1024; ; span *= 4) {
    const length = Math.min(size, span);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    // The first piece may be cut at the start of the span; the last is empty or torn.
    for (let i = lines.length - 1; i >= (length < size ? 1 : 0); i--) {
      try {
        const entry = JSON.parse(lines[i] as string) as AuditEntry;
        if (typeof entry.seq === 'number' && typeof entry.hash === 'string') {
          return entry;
        }
      } catch {
        // a torn line: the one before it
      }
    }
    if (length === size) {
      return null;
    }
  }
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT = new Int32Array(new SharedArrayBuffer(4));

/** Runs `work` holding `lock` (a file made exclusively); a lock older than 10 s is stale. */
function withLock<T>(lock: string, work: () => T): T {
  for (let tries = 0; ; tries++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) {
          rmSync(lock, { force: true });
          continue;
        }
      } catch {
        continue;
      }
      if (tries > 2000) {
        throw new Error(`audit log lock ${lock} is held`, { cause: err });
      }
      Atomics.wait(LOCK_WAIT, 0, 0, 5);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { force: true });
  }
}

export interface AuditVerification {
  ok: boolean;
  entries: AuditEntry[];
  /** Human-readable, each naming the line: `line 7: hash does not match its content`. */
  problems: string[];
}

/** Checks every line's JSON, sequence, link to the previous line and own hash. */
export function verifyAuditLog(file: string): AuditVerification {
  if (!existsSync(file)) {
    return { ok: false, entries: [], problems: [`${path.basename(file)} is missing`] };
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const problems: string[] = [];
  const entries: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  let seq = 0;
  lines.forEach((line, index) => {
    const n = index + 1;
    if (line === '') {
      if (index !== lines.length - 1) {
        problems.push(`line ${n}: empty line inside the log`);
      }
      return;
    }
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      problems.push(
        `line ${n}: not valid JSON${index === lines.length - 1 ? ' (truncated last line?)' : ''}`,
      );
      return;
    }
    const { hash, ...body } = entry;
    if (entry.prev !== prev) {
      problems.push(`line ${n}: chain broken (does not follow line ${n - 1}'s hash)`);
    }
    if (entry.seq !== seq + 1) {
      problems.push(
        `line ${n}: sequence ${entry.seq} where ${seq + 1} was expected (a line removed or moved?)`,
      );
    }
    if (entryHash(entry.prev, body) !== hash) {
      problems.push(`line ${n}: hash does not match its content (edited?)`);
    }
    prev = hash;
    seq = entry.seq;
    entries.push(entry);
  });
  return { ok: problems.length === 0, entries, problems };
}

/**
 * One event for a session that has ended (its live audit writer is closed): the
 * composite finishing, an archive finalized from the command line.
 */
export function appendAudit(archiveDir: string, record: Omit<AuditRecord, 'at'>): void {
  const audit = AuditLog.open(path.join(archiveDir, 'audit.jsonl'));
  try {
    audit.append({ at: new Date().toISOString(), ...record });
  } finally {
    audit.close();
  }
}
