/**
 * `diemcau recordings verify`: a session archive checks out when its audit chain is
 * intact and every media file the manifest lists is present with its size and SHA-256,
 * with no media file the manifest does not list.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { verifyAuditLog } from './AuditLog.js';
import type { Manifest, ManifestFile } from './manifest.js';
import { readMatroskaIndex } from './matroska.js';
import { sha256File } from './PointRecorder.js';

export interface ArchiveVerification {
  ok: boolean;
  events: number;
  files: number;
  problems: string[];
  /** Not problems: e.g. segments left by a join cut short, identical to what was joined. */
  notes: string[];
}

export async function verifyArchive(dir: string): Promise<ArchiveVerification> {
  const audit = verifyAuditLog(path.join(dir, 'audit.jsonl'));
  const problems = audit.problems.map((p) => `audit.jsonl ${p}`);
  const manifestFile = path.join(dir, 'manifest.json');
  const mediaDir = path.join(dir, 'media');
  const media = existsSync(mediaDir)
    ? readdirSync(mediaDir)
        .filter((f) => f.endsWith('.mkv') || f.endsWith('.mp4') || f.endsWith('.webm'))
        .map((f) => `media/${f}`)
    : [];
  let files: ManifestFile[] = [];
  if (existsSync(manifestFile)) {
    try {
      files = (JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest).files;
    } catch {
      problems.push('manifest.json is not valid JSON');
    }
  } else if (media.length > 0) {
    problems.push('manifest.json is missing');
  }
  for (const f of files) {
    const full = path.join(dir, f.file);
    if (!existsSync(full)) {
      problems.push(`${f.file}: missing`);
      continue;
    }
    const bytes = statSync(full).size;
    if (bytes !== f.bytes) {
      problems.push(
        `${f.file}: ${bytes} bytes, the manifest says ${f.bytes} (truncated or appended to)`,
      );
      continue;
    }
    if ((await sha256File(full)) !== f.sha256) {
      problems.push(`${f.file}: content altered (SHA-256 differs from the manifest)`);
      continue;
    }
    if (f.joinedFrom !== undefined) {
      // A run's final file must play with its length and seek in an ordinary player.
      const problem = indexProblem(full);
      if (problem) {
        problems.push(`${f.file}: ${problem}`);
      }
    }
  }
  const listed = new Set(files.map((f) => f.file));
  const replaced = new Map(files.flatMap((f) => (f.joinedFrom ?? []).map((s) => [s.file, s])));
  const notes: string[] = [];
  for (const f of media) {
    if (listed.has(f)) {
      continue;
    }
    const segment = replaced.get(f);
    const full = path.join(dir, f);
    if (
      segment &&
      statSync(full).size === segment.bytes &&
      (await sha256File(full)) === segment.sha256
    ) {
      notes.push(`${f}: a segment already joined (identical to the one joined); safe to delete`);
    } else {
      problems.push(`${f}: not in the manifest (still being recorded, left by a crash, or added)`);
    }
  }
  return {
    ok: problems.length === 0,
    events: audit.entries.length,
    files: files.length,
    problems,
    notes,
  };
}

function indexProblem(file: string): string | null {
  try {
    const index = readMatroskaIndex(file);
    if (index.durationSeconds === null) {
      return 'no duration (players show no length)';
    }
    return index.cues ? null : 'no seek index (cues)';
  } catch (err) {
    return `not a readable Matroska file (${(err as Error).message})`;
  }
}
