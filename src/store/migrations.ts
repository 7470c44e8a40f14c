/**
 * The database's schema, one migration per version, applied in order and never edited
 * once released: a change is a new migration at the end. Times are ISO 8601 text (UTC).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sessions, their bridge points, credentials, connectivity tests, operators.
  `
  CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    ad_hoc          INTEGER NOT NULL DEFAULT 0,
    title           TEXT NOT NULL,
    case_summary    TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL,
    host_level      TEXT NOT NULL,
    chair           TEXT NOT NULL DEFAULT '',
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    rehearsal_at    TEXT,
    rehearsal_open  INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL,
    ready_override  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX sessions_by_start ON sessions (starts_at);

  CREATE TABLE points (
    session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    organisation    TEXT NOT NULL DEFAULT '',
    people          TEXT NOT NULL DEFAULT '[]',
    position        INTEGER NOT NULL,
    PRIMARY KEY (session_id, id)
  );
  CREATE UNIQUE INDEX one_central_point ON points (session_id) WHERE kind = 'central';

  CREATE TABLE credentials (
    id              TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL,
    point_id        TEXT NOT NULL,
    login           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    password_sealed TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    issued_by       TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    printed_at      TEXT,
    used_at         TEXT,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    FOREIGN KEY (session_id, point_id) REFERENCES points (session_id, id) ON DELETE CASCADE
  );
  CREATE UNIQUE INDEX credential_login ON credentials (login) WHERE revoked_at IS NULL;
  CREATE INDEX credentials_by_point ON credentials (session_id, point_id);

  CREATE TABLE connectivity_tests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      TEXT NOT NULL,
    point_id        TEXT NOT NULL,
    slot            TEXT NOT NULL,
    grade           TEXT NOT NULL,
    figures         TEXT NOT NULL,
    at              TEXT NOT NULL,
    FOREIGN KEY (session_id, point_id) REFERENCES points (session_id, id) ON DELETE CASCADE
  );
  CREATE INDEX tests_by_point ON connectivity_tests (session_id, point_id, at);

  CREATE TABLE operators (
    name            TEXT PRIMARY KEY,
    password_hash   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    token_version   INTEGER NOT NULL DEFAULT 1,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT
  );

  CREATE TABLE console_sessions (
    id_hash         TEXT PRIMARY KEY,
    operator        TEXT NOT NULL REFERENCES operators (name) ON DELETE CASCADE,
    csrf            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
  );
  `,
  // 2: a session's own share of the central point's link (null: an even share).
  `
  ALTER TABLE sessions ADD COLUMN link_mbps INTEGER;
  `,
];
