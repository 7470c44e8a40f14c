import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { verifyAuditLog } from '../../recorder/AuditLog.js';
import { verifyArchive } from '../../recorder/verifyArchive.js';
import { archiveDirOf } from '../../recorder/sessionAudit.js';
import { ID_PATTERN } from '../auth/roles.js';
import { errors } from '../errors.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/**
 * `diemcau recordings list|verify`: the session archives on this machine; verify exits 1
 * naming every broken audit line and every missing, altered or unlisted media file.
 */
export async function recordingsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(rest, { ...CONFIG_FLAG, json: { type: 'boolean' } });
  const config = bootConfig(values.config);
  switch (sub) {
    case 'list': {
      const root = path.join(config.dataDir, 'archive');
      const sessions = existsSync(root)
        ? readdirSync(root).filter((name) => statSync(path.join(root, name)).isDirectory())
        : [];
      const rows = sessions.sort().map((id) => {
        const audit = verifyAuditLog(path.join(root, id, 'audit.jsonl'));
        const first = audit.entries[0]?.at ?? null;
        const last = audit.entries[audit.entries.length - 1]?.at ?? null;
        return { sessionId: id, events: audit.entries.length, first, last, intact: audit.ok };
      });
      if (values.json === true) {
        console.log(JSON.stringify({ archive: root, sessions: rows }, null, 2));
      } else {
        console.log(`${rows.length} session archive(s) in ${root}`);
        for (const r of rows) {
          console.log(
            `  ${r.sessionId}  ${r.events} events  ${r.first ?? '-'} → ${r.last ?? '-'}  ${r.intact ? 'intact' : 'DAMAGED'}`,
          );
        }
      }
      return 0;
    }
    case 'verify': {
      const target = positionals[0];
      if (target === undefined) {
        throw new errors.USAGE('usage: diemcau recordings verify <sessionId|dir>');
      }
      const dir =
        target.includes('/') || !ID_PATTERN.test(target)
          ? path.resolve(target)
          : archiveDirOf(config.dataDir, target);
      if (!existsSync(dir)) {
        console.log(`FAIL ${dir}: no such archive`);
        return 1;
      }
      const result = await verifyArchive(dir);
      if (result.ok) {
        console.log(
          `OK ${dir}: audit.jsonl ${result.events} events, hash chain intact; ${result.files} media files verified`,
        );
        return 0;
      }
      console.log(`FAIL ${dir}: ${result.problems.length} problem(s)`);
      for (const problem of result.problems) {
        console.log(`  ${problem}`);
      }
      return 1;
    }
    default:
      throw new errors.USAGE('usage: diemcau recordings list|verify <sessionId|dir>');
  }
}
