/**
 * `diemcau recordings verify`: whether a session archive is intact and complete.
 * - Intact: the audit chain holds, every media file the manifest lists is present with
 *   its size and SHA-256, none is empty or unreadable, every run's final file has its
 *   duration and seek index, and no media file is there that the manifest does not list.
 * - Complete: nothing failed on the way (a join, the composite) and every point is
 *   recorded for as long as its recording ran (archiveCompleteness.ts); a chair switching
 *   the recording off is a pause, named but not a fault.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  type Pause,
  archiveCompleteness,
  describeGap,
  runSpans,
  textOf,
} from './archiveCompleteness.js';
import { verifyAuditLog } from './AuditLog.js';
import { type Manifest, type ManifestFile, isUnjoinedSegment } from './manifest.js';
import { readMatroskaIndex } from './matroska.js';
import { sha256File } from '../common/sha256File.js';
import { probeMedia } from './probe.js';

export type ArchiveStatus =
  /** Every point recorded for as long as its recording ran, every file intact. */
  | 'complete'
  /** Intact, but some point was not recorded for a while (named in `gaps`). */
  | 'with-gaps'
  /** Intact, but the composite record could not be made. */
  | 'composite-failed'
  /** A file is missing, altered, empty, unreadable or unlisted, or the audit chain broke. */
  | 'damaged'
  /** Still being recorded or finished: runs not joined yet, the composite due. */
  | 'unfinished';

export interface ArchiveVerification {
  /** Intact and complete: `verify` exits 0. */
  ok: boolean;
  status: ArchiveStatus;
  events: number;
  files: number;
  /** What is damaged or failed. */
  problems: string[];
  /** Who was not recorded, when, and why. */
  gaps: string[];
  /** When a chair switched the recording off. */
  pauses: string[];
  /** Not problems: e.g. segments left by a join cut short, identical to what was joined. */
  notes: string[];
  /** Wall-clock span of the per-point media, and the media's size. */
  mediaSeconds: number;
  mediaBytes: number;
}

export interface VerifyOptions {
  /** With it, each media file is opened as a player would (else only hashed). */
  ffmpeg?: string;
}

export async function verifyArchive(
  dir: string,
  options: VerifyOptions = {},
): Promise<ArchiveVerification> {
  const audit = verifyAuditLog(path.join(dir, 'audit.jsonl'));
  const problems = audit.problems.map((p) => `audit.jsonl ${p}`);
  const failures: string[] = [];
  const notes: string[] = [];
  const manifestFile = path.join(dir, 'manifest.json');
  const mediaDir = path.join(dir, 'media');
  const media = existsSync(mediaDir)
    ? readdirSync(mediaDir)
        .filter((f) => f.endsWith('.mkv') || f.endsWith('.mp4') || f.endsWith('.webm'))
        .map((f) => `media/${f}`)
    : [];
  let manifest: Manifest | null = null;
  if (existsSync(manifestFile)) {
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    } catch {
      problems.push('manifest.json is not valid JSON');
    }
  } else if (media.length > 0) {
    problems.push('manifest.json is missing');
  }
  const files: ManifestFile[] = manifest?.files ?? [];
  const spans = runSpans(audit.entries);
  for (const f of files) {
    const problem = (await fileProblem(dir, f, options.ffmpeg)) ?? timelineProblem(dir, f, spans);
    if (problem !== null) {
      problems.push(`${f.file}: ${problem}`);
    }
  }
  const listed = new Set(files.map((f) => f.file));
  const replaced = new Map(files.flatMap((f) => (f.joinedFrom ?? []).map((s) => [s.file, s])));
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

  const events = audit.entries;
  for (const e of events.filter((x) => x.type === 'recording-join-failed')) {
    const run = textOf(e.detail?.['run'], '?');
    if (!files.some((f) => f.run === run && f.joinedFrom !== undefined)) {
      failures.push(
        `${run}: its segments could not be joined into one file (${textOf(e.detail?.['error'], '')}); they are kept as they are`,
      );
    }
  }
  const composite = manifest?.composite;
  if (composite?.status === 'failed') {
    failures.push(`composite record failed: ${composite.detail ?? 'no detail'}`);
  }
  const lastSeen = events.at(-1)?.at ?? manifest?.updatedAt ?? new Date().toISOString();
  const { gaps, pauses } = archiveCompleteness(events, files, lastSeen);
  const unjoined = new Set(files.filter(isUnjoinedSegment).map((f) => f.run));
  const unfinished =
    unjoined.size > 0 || ['pending', 'rendering', 'interrupted'].includes(composite?.status ?? '');
  if (unjoined.size > 0) {
    notes.push(
      `${unjoined.size} recording run(s) not joined yet: the server joins them when the session ends (or: diemcau recordings finalize)`,
    );
  }
  if (unfinished && composite && composite.status !== 'failed' && composite.status !== 'done') {
    notes.push(`composite record ${composite.status}`);
  }
  const pointFiles = files.filter((f) => f.kind !== 'composite');
  const span =
    pointFiles.length === 0
      ? 0
      : (Math.max(...pointFiles.map((f) => Date.parse(f.end))) -
          Math.min(...pointFiles.map((f) => Date.parse(f.start)))) /
        1000;
  const status: ArchiveStatus =
    problems.length > 0
      ? 'damaged'
      : composite?.status === 'failed'
        ? 'composite-failed'
        : gaps.length > 0 || failures.length > 0
          ? 'with-gaps'
          : unfinished
            ? 'unfinished'
            : 'complete';
  return {
    ok: problems.length === 0 && failures.length === 0 && gaps.length === 0,
    status,
    events: events.length,
    files: files.length,
    problems: [...problems, ...failures],
    gaps: gaps.map(describeGap),
    pauses: pauses.map(describePause),
    notes,
    mediaSeconds: Math.round(span),
    mediaBytes: pointFiles.reduce((sum, f) => sum + f.bytes, 0),
  };
}

/** Whether only integrity failed (damage), as against gaps and failed steps. */
export function isDamaged(v: ArchiveVerification): boolean {
  return v.status === 'damaged';
}

async function fileProblem(
  dir: string,
  f: ManifestFile,
  ffmpeg: string | undefined,
): Promise<string | null> {
  const full = path.join(dir, f.file);
  if (!existsSync(full)) {
    return 'missing';
  }
  const bytes = statSync(full).size;
  if (bytes !== f.bytes) {
    return `${bytes} bytes, the manifest says ${f.bytes} (truncated or appended to)`;
  }
  if (bytes === 0) {
    return 'empty (0 bytes): nothing of this recording is in it';
  }
  if ((await sha256File(full)) !== f.sha256) {
    return 'content altered (SHA-256 differs from the manifest)';
  }
  if (f.unreadable === true) {
    return 'unreadable: ffmpeg could not open it when it was recorded';
  }
  if (f.joinedFrom !== undefined) {
    // A run's final file must play with its length and seek in an ordinary player.
    const problem = indexProblem(full);
    if (problem) {
      return problem;
    }
  }
  if (ffmpeg !== undefined) {
    try {
      const probe = await probeMedia(ffmpeg, full);
      if (!probe.audio && !probe.video) {
        return 'holds no sound and no picture';
      }
    } catch {
      return 'unreadable: ffmpeg cannot open it';
    }
  }
  return null;
}

/**
 * A run's final file lasting much longer than the run was recorded: its clock jumped
 * (a sender's or the SFU's timestamps), and players put its picture or sound far from
 * where it was.
 */
function timelineProblem(
  dir: string,
  f: ManifestFile,
  spans: ReturnType<typeof runSpans>,
): string | null {
  const span = f.run === undefined ? undefined : spans.get(f.run);
  if (f.joinedFrom === undefined || !span || span.end === null) {
    return null;
  }
  const recorded = (span.end - span.start) / 1000;
  const lasts = readMatroskaIndex(path.join(dir, f.file)).durationSeconds ?? 0;
  return lasts > recorded + Math.max(10, recorded * 0.1)
    ? `its timeline jumps: it lasts ${lasts.toFixed(1)} s, its run was recorded for ${recorded.toFixed(1)} s`
    : null;
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

function describePause(p: Pause): string {
  return `recording switched off by ${p.by} from ${p.from} ${p.to === null ? 'to the end' : `to ${p.to}`}`;
}
