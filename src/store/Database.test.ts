import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import { tempDir } from '../../test/helpers/cli.js';
import { Database } from './Database.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteStore } from './SqliteStore.js';

t.test("a central point's database from the first release is upgraded in place", (t) => {
  const dir = tempDir('db');
  // As the first release left it: its schema, one planned session in it.
  const old = new DatabaseSync(path.join(dir, 'diemcau.db'));
  old.exec(MIGRATIONS[0] as string);
  old.exec('PRAGMA user_version = 1');
  old
    .prepare(
      `INSERT INTO sessions (id, title, category, host_level, starts_at, ends_at, state,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      'tcd-2026-01',
      'Tiếp công dân tháng 1',
      'b',
      'province',
      '2026-01-15T01:00:00.000Z',
      '2026-01-15T04:00:00.000Z',
      'archived',
      '2026-01-01T00:00:00.000Z',
      '2026-01-15T05:00:00.000Z',
    );
  old.close();

  const db = Database.open(dir);
  t.equal(db.version, MIGRATIONS.length, `at version ${MIGRATIONS.length} after opening`);
  const store = new SqliteStore(db);
  const kept = store.getSession('tcd-2026-01');
  t.equal(kept?.title, 'Tiếp công dân tháng 1', 'the old session is kept');
  t.equal(kept?.linkMbps, null, 'with an even share of the link, as before');
  store.updateSession('tcd-2026-01', { linkMbps: 12 }, new Date());
  t.equal(store.getSession('tcd-2026-01')?.linkMbps, 12, 'and can be given a share of its own');
  db.close();
  t.equal(Database.open(dir).version, MIGRATIONS.length, 'opening again changes nothing');
  t.end();
});
