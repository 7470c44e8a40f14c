import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { AuditLog } from '../archive/AuditLog.js';
import { type ManifestFile, writeManifest } from '../archive/manifest.js';
import { sha256File } from '../common/sha256File.js';
import { runCli, tempDir } from './helpers/cli.js';
import { makeTestClip } from './helpers/media.js';

// `finalize` is what an operator runs on an archive a stopped server left: when a run
// cannot be joined, the archive is not whole, and a script must see it in the exit code.
t.test('finalize exits 1 and names the run when its segments cannot be joined', async (t) => {
  const dir = tempDir('finalize-fail');
  mkdirSync(path.join(dir, 'media'));
  const good = 'media/a-av-1-00000.mkv';
  const bad = 'media/a-av-1-00001.mkv';
  makeTestClip(path.join(dir, good), {
    size: '320x240',
    videoBitrate: '200k',
    gop: 25,
    seconds: 3,
  });
  // A segment cut to garbage after it was hashed in: the join cannot read it.
  writeFileSync(path.join(dir, bad), 'not matroska at all, not a frame of media');
  const T0 = Date.parse('2026-12-03T08:00:00.000Z');
  const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
  const files: ManifestFile[] = [];
  for (const [file, from, to] of [
    [good, 0, 3],
    [bad, 3, 6],
  ] as const) {
    files.push({
      file,
      sha256: await sha256File(path.join(dir, file)),
      bytes: statSync(path.join(dir, file)).size,
      kind: 'av',
      pointId: 'a',
      start: at(from),
      end: at(to),
      run: 'a-av-1',
    });
  }
  const events = [
    { at: at(0), type: 'recording-started', pointId: 'a', detail: { kind: 'av', name: 'a-av-1' } },
    { at: at(6), type: 'recording-stopped', pointId: 'a', detail: { kind: 'av', name: 'a-av-1' } },
  ] as const;
  const audit = AuditLog.open(path.join(dir, 'audit.jsonl'));
  for (const e of events) {
    audit.append({ sessionId: 's', ...e });
  }
  audit.close();
  await writeManifest(dir, {
    version: 1,
    session: { id: 's', openedAt: at(0) },
    points: [{ id: 'a', name: 'A', kind: 'delegate', role: 'delegate' }],
    events: [...events],
    files,
    updatedAt: at(7),
  });

  const result = await runCli(['recordings', 'finalize', dir, '--no-composite']);
  t.equal(result.code, 1, 'exit 1');
  t.match(result.stdout, /not joined \(segments kept\): a-av-1/);
  t.notMatch(result.stdout, /^OK/m);
  // Nothing of the record was thrown away.
  t.equal(statSync(path.join(dir, good)).size > 0, true, 'the readable segment is kept');
});
