import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { verifyAuditLog } from '../../archive/AuditLog.js';
import { verifyArchive } from '../../archive/verifyArchive.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import { ID_PATTERN } from '../auth/roles.js';
import { errors } from '../../common/errors.js';
import { exportArchive, type ExportProgress } from '../../archive/exportArchive.js';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { joinArchiveRuns } from '../../archive/finalizeArchive.js';
import { joinSegments } from '../../archive/joinSegments.js';
import { renderComposite, defaultFontFile } from '../../archive/composite.js';
import { renderArchiveComposite } from '../../archive/compositePlan.js';
import type { ArchiveStatus, ArchiveVerification } from '../../archive/verifyArchive.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/**
 * `diemcau recordings list|verify|export|finalize`: the session archives on this
 * machine; verify exits 1 naming every broken audit line and every missing, altered or
 * unlisted media file; export copies one to another disk and verifies the copy.
 */
export async function recordingsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseFlags(rest, {
    ...CONFIG_FLAG,
    json: { type: 'boolean' },
    to: { type: 'string' },
    'no-composite': { type: 'boolean' },
  });
  const config = bootConfig(values.config);
  switch (sub) {
    case 'list': {
      const root = path.join(config.dataDir, 'archive');
      const sessions = existsSync(root)
        ? readdirSync(root).filter((name) => statSync(path.join(root, name)).isDirectory())
        : [];
      const ffmpeg = resolveFfmpeg(config.ffmpeg.path).path;
      const rows = [];
      for (const id of sessions.sort()) {
        const v = await verifyArchive(path.join(root, id), { ffmpeg });
        const audit = verifyAuditLog(path.join(root, id, 'audit.jsonl'));
        rows.push({
          sessionId: id,
          status: v.status,
          /** Every file and the audit chain check out (gaps aside). */
          intact: v.status !== 'damaged',
          events: v.events,
          files: v.files,
          mediaSeconds: v.mediaSeconds,
          mediaBytes: v.mediaBytes,
          first: audit.entries[0]?.at ?? null,
          last: audit.entries.at(-1)?.at ?? null,
          problems: v.problems,
          gaps: v.gaps,
        });
      }
      if (values.json === true) {
        console.log(JSON.stringify({ archive: root, sessions: rows }, null, 2));
      } else {
        console.log(`${rows.length} session archive(s) in ${root}`);
        for (const r of rows) {
          console.log(
            `  ${r.sessionId}  ${STATUS_WORDS[r.status]}  ${duration(r.mediaSeconds)}  ${mib(r.mediaBytes)} MiB  ` +
              `${r.files} files  ${r.first ?? '-'} → ${r.last ?? '-'}`,
          );
        }
      }
      return 0;
    }
    case 'verify': {
      const dir = archiveArg(positionals[0], config.dataDir, 'verify <sessionId|dir>');
      if (!existsSync(dir)) {
        console.log(`FAIL ${dir}: no such archive`);
        return 1;
      }
      const result = await verifyArchive(dir, { ffmpeg: resolveFfmpeg(config.ffmpeg.path).path });
      if (values.json === true) {
        console.log(JSON.stringify({ archive: dir, ...result }, null, 2));
      } else {
        printVerification(dir, result);
      }
      return result.ok ? 0 : 1;
    }
    case 'export': {
      const usage = 'export <sessionId|dir> --to <dir>';
      const dir = archiveArg(positionals[0], config.dataDir, usage);
      if (typeof values.to !== 'string') {
        throw new errors.USAGE(`usage: diemcau recordings ${usage}`);
      }
      if (!existsSync(path.join(dir, 'audit.jsonl'))) {
        console.error(`${dir}: no such session archive`);
        return 1;
      }
      const bar = progressBar();
      const outcome = await exportArchive(dir, path.resolve(values.to), bar, {
        ffmpeg: resolveFfmpeg(config.ffmpeg.path).path,
      });
      switch (outcome.status) {
        case 'no-room':
          console.error(
            `refused: the target needs ${mib(outcome.needBytes)} MiB and has ${mib(outcome.freeBytes)} MiB free; nothing was written`,
          );
          return 1;
        case 'exists':
          console.error(`refused: ${outcome.target} already exists; nothing was written`);
          return 1;
        case 'copy-failed':
          console.log(`FAIL the copy in ${outcome.target} does not verify:`);
          for (const problem of outcome.verification.problems) {
            console.log(`  ${problem}`);
          }
          return 1;
        case 'exported': {
          const v = outcome.verification;
          console.log(
            `exported ${outcome.files} files (${mib(outcome.bytes)} MiB) to ${outcome.target}`,
          );
          console.log(
            `OK the copy is intact: audit.jsonl ${v.events} events, hash chain intact; ${v.files} media files verified`,
          );
          // What the original lacks, the copy lacks too: said, not hidden.
          for (const line of [...v.problems, ...v.gaps.map((g) => `gap: ${g}`)]) {
            console.log(`  as in the original: ${line}`);
          }
          return 0;
        }
      }
      return 1;
    }
    case 'finalize': {
      // What a session's end does, for an archive whose server stopped first: join each
      // run's segments, then render the composite record.
      const dir = archiveArg(positionals[0], config.dataDir, 'finalize <sessionId|dir>');
      const ffmpeg = resolveFfmpeg(config.ffmpeg.path).path;
      const joined = await joinArchiveRuns(dir, (segments, output, options) =>
        joinSegments(ffmpeg, segments, output, options),
      );
      console.log(`joined ${joined.joined} run(s) into one file each`);
      for (const f of joined.failed) {
        console.log(`  not joined (segments kept): ${f.run}: ${f.error}`);
      }
      if (values['no-composite'] !== true) {
        const state = await renderCompositeHere(ffmpeg, dir);
        console.log(`composite: ${state}`);
      }
      const result = await verifyArchive(dir, { ffmpeg });
      printVerification(dir, result);
      return result.ok && joined.failed.length === 0 ? 0 : 1;
    }
    default:
      throw new errors.USAGE(
        'usage: diemcau recordings list|verify|export|finalize <sessionId|dir> [--to DIR]',
      );
  }
}

function archiveArg(target: string | undefined, dataDir: string, usage: string): string {
  if (target === undefined) {
    throw new errors.USAGE(`usage: diemcau recordings ${usage}`);
  }
  return target.includes('/') || !ID_PATTERN.test(target)
    ? path.resolve(target)
    : archiveDirOf(dataDir, target);
}

const STATUS_WORDS: Record<ArchiveStatus, string> = {
  complete: 'complete',
  'with-gaps': 'WITH GAPS',
  'composite-failed': 'COMPOSITE FAILED',
  damaged: 'DAMAGED',
  unfinished: 'unfinished',
};

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function printVerification(dir: string, result: ArchiveVerification): void {
  if (result.ok) {
    console.log(
      `OK ${dir}: ${result.status}; audit.jsonl ${result.events} events, hash chain intact; ${result.files} media files verified`,
    );
  } else {
    console.log(
      `FAIL ${dir}: ${STATUS_WORDS[result.status]}; ${result.problems.length} problem(s), ${result.gaps.length} gap(s)`,
    );
    for (const problem of result.problems) {
      console.log(`  ${problem}`);
    }
    for (const gap of result.gaps) {
      console.log(`  gap: ${gap}`);
    }
  }
  for (const pause of result.pauses) {
    console.log(`  pause: ${pause}`);
  }
  for (const note of result.notes) {
    console.log(`  note: ${note}`);
  }
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);

/** A bar on a terminal; a line per tenth in a log (an IT center's script). */
function progressBar(): (p: ExportProgress) => void {
  const tty = process.stderr.isTTY;
  let shown = -1;
  return (p) => {
    const pct = p.totalBytes === 0 ? 100 : Math.floor((p.copiedBytes / p.totalBytes) * 100);
    if (tty) {
      if (pct !== shown) {
        shown = pct;
        const filled = Math.round(pct / 4);
        process.stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(25 - filled)}] ${pct}% ${mib(p.copiedBytes)}/${mib(p.totalBytes)} MiB`,
        );
        if (pct === 100 && p.file === '') {
          process.stderr.write('\n');
        }
      }
    } else if (Math.floor(pct / 10) !== Math.floor(shown / 10) || (pct === 100 && shown !== 100)) {
      shown = pct;
      process.stderr.write(`copied ${pct}% (${mib(p.copiedBytes)}/${mib(p.totalBytes)} MiB)\n`);
    }
  };
}

async function renderCompositeHere(ffmpeg: string, dir: string): Promise<string> {
  const state = await renderArchiveComposite(
    dir,
    ffmpeg,
    (job) => renderComposite({ ffmpeg, ...job, fontFile: defaultFontFile() }),
    (fraction) => process.stderr.write(`composite ${Math.floor(fraction * 100)}%\n`),
  );
  return `${state.status}${state.detail ? ` (${state.detail})` : ''}`;
}
