import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { AuditLog, GENESIS_HASH, verifyAuditLog } from './AuditLog.js';

const event = (type: string, pointId?: string) => ({
  at: new Date().toISOString(),
  sessionId: 's1',
  type,
  ...(pointId ? { pointId } : {}),
});

function writeLog(): string {
  const file = path.join(tempDir('audit'), 's1', 'audit.jsonl');
  const log = AuditLog.open(file);
  log.append(event('session-opened'));
  log.append(event('point-joined', 'central'));
  log.append({ ...event('point-muted', 'ha-noi'), by: 'central' });
  log.append(event('point-left', 'ha-noi'));
  log.close();
  return file;
}

t.test('each line links to the one before; an untouched log verifies', (t) => {
  const file = writeLog();
  const result = verifyAuditLog(file);
  t.same(result.problems, []);
  t.equal(result.entries.length, 4);
  t.equal(result.entries[0]?.prev, GENESIS_HASH);
  t.equal(result.entries[1]?.prev, result.entries[0]?.hash);
  t.same(
    result.entries.map((e) => e.seq),
    [1, 2, 3, 4],
  );
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is 0600');
  t.equal(statSync(path.dirname(file)).mode & 0o777, 0o700, 'its directory is 0700');
  t.end();
});

t.test('reopening resumes the chain', (t) => {
  const file = writeLog();
  const log = AuditLog.open(file);
  const entry = log.append(event('point-joined', 'hue'));
  log.close();
  t.equal(entry.seq, 5);
  t.ok(verifyAuditLog(file).ok);
  t.end();
});

t.test('an edited line is named', (t) => {
  const file = writeLog();
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[2] = (lines[2] as string).replace('"ha-noi"', '"lao-cai"');
  writeFileSync(file, lines.join('\n'));
  t.same(verifyAuditLog(file).problems, ['line 3: hash does not match its content (edited?)']);
  t.end();
});

t.test('a removed line breaks the chain where it was', (t) => {
  const file = writeLog();
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.splice(1, 1);
  writeFileSync(file, lines.join('\n'));
  const { problems } = verifyAuditLog(file);
  t.match(problems.join('\n'), /line 2: chain broken/);
  t.match(problems.join('\n'), /line 2: sequence 3 where 2 was expected/);
  t.end();
});

t.test('a line torn by a crash is named, and logging goes on after it', (t) => {
  const file = writeLog();
  appendFileSync(file, '{"seq":5,"at":"2026-');
  const log = AuditLog.open(file);
  log.append(event('point-joined', 'hue'));
  log.close();
  const result = verifyAuditLog(file);
  t.same(result.problems, ['line 5: not valid JSON']);
  t.equal(
    result.entries[result.entries.length - 1]?.seq,
    5,
    'the chain continues from the last whole line',
  );
  t.end();
});

t.test('a missing log is a problem, not a crash', (t) => {
  t.same(verifyAuditLog(path.join(tempDir('none'), 'audit.jsonl')).problems, [
    'audit.jsonl is missing',
  ]);
  t.end();
});

t.test(
  'several writers of one log (the live session, the planning, another process) keep one chain',
  async (t) => {
    const file = path.join(tempDir('audit-writers'), 's1', 'audit.jsonl');
    const live = AuditLog.open(file);
    const planning = AuditLog.open(file);
    live.append(event('session-opened'));
    planning.append(event('session-edited'));
    live.append(event('point-joined', 'central'));
    // Another process appending meanwhile, as `diemcau session edit` does beside a server.
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `const { AuditLog } = await import(${JSON.stringify(new URL('./AuditLog.js', import.meta.url).href)});
     const log = AuditLog.open(${JSON.stringify(file)});
     log.append({ at: new Date().toISOString(), sessionId: 's1', type: 'point-added', pointId: 'hue' });
     log.close();`,
    ]);
    planning.append(event('credential-issued', 'hue'));
    live.append(event('point-left', 'central'));
    live.close();
    planning.close();
    const result = verifyAuditLog(file);
    t.same(result.problems, [], 'the chain verifies');
    t.same(
      result.entries.map((e) => [e.seq, e.type]),
      [
        [1, 'session-opened'],
        [2, 'session-edited'],
        [3, 'point-joined'],
        [4, 'point-added'],
        [5, 'credential-issued'],
        [6, 'point-left'],
      ],
    );
  },
);
