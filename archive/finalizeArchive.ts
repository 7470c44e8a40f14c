/**
 * After a session: each recording run's segments become one file per run (one ffmpeg,
 * one point), proven to hold exactly their packets. The manifest lists the joined file
 * (and, under `joinedFrom`, the segments it replaced with their hashes) before the
 * segments are removed: a crash in between leaves duplicates, never a hole. A run whose
 * join fails keeps its segments, and the archive still verifies.
 */
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { runSpans } from './archiveCompleteness.js';
import type { JoinOptions, JoinedRun } from './joinSegments.js';
import { type ManifestFile, isUnjoinedSegment, readManifest, updateManifest } from './manifest.js';
import { appendAudit } from './AuditLog.js';

export type JoinRun = (
  segments: string[],
  output: string,
  options: JoinOptions,
) => Promise<JoinedRun>;

export interface FinalizeResult {
  joined: number;
  failed: { run: string; error: string }[];
}

export async function joinArchiveRuns(archiveDir: string, join: JoinRun): Promise<FinalizeResult> {
  const manifest = readManifest(archiveDir);
  const result: FinalizeResult = { joined: 0, failed: [] };
  if (!manifest) {
    return result;
  }
  const spans = runSpans(manifest.events);
  const byRun = new Map<string, ManifestFile[]>();
  for (const f of manifest.files) {
    if (isUnjoinedSegment(f) && f.run !== undefined) {
      byRun.set(f.run, [...(byRun.get(f.run) ?? []), f]);
    }
  }
  for (const [run, segments] of byRun) {
    const first = segments[0] as ManifestFile;
    const last = segments[segments.length - 1] as ManifestFile;
    const output = path.join(archiveDir, 'media', `${run}.mkv`);
    let joined: JoinedRun;
    try {
      const span = spans.get(run);
      const until = span?.end ?? Date.parse(manifest.updatedAt);
      joined = await join(
        segments.map((s) => path.join(archiveDir, s.file)),
        output,
        span ? { recordedSeconds: Math.max(0, (until - span.start) / 1000) } : {},
      );
    } catch (err) {
      const error = (err as Error).message;
      result.failed.push({ run, error });
      // In the record: verify names it until a later join succeeds.
      const failed = {
        at: new Date().toISOString(),
        sessionId: manifest.session.id,
        type: 'recording-join-failed',
        ...(first.pointId !== undefined ? { pointId: first.pointId } : {}),
        detail: { run, error: error.slice(0, 500) },
      };
      await updateManifest(archiveDir, (m) => {
        m.events.push(failed);
      });
      appendAudit(archiveDir, failed);
      continue;
    }
    const entry: ManifestFile = {
      file: path.relative(archiveDir, joined.file),
      sha256: joined.sha256,
      bytes: joined.bytes,
      kind: first.kind,
      ...(first.pointId !== undefined ? { pointId: first.pointId } : {}),
      start: first.start,
      end: last.end,
      run,
      ...(segments.some((s) => s.interrupted === true) ? { interrupted: true } : {}),
      joinedFrom: segments.map((s) => ({ file: s.file, sha256: s.sha256, bytes: s.bytes })),
    };
    const event = {
      at: new Date().toISOString(),
      sessionId: manifest.session.id,
      type: 'recording-joined',
      ...(first.pointId !== undefined ? { pointId: first.pointId } : {}),
      detail: {
        file: entry.file,
        segments: segments.length,
        ...(joined.packets > 0 ? { packets: joined.packets } : {}),
        ...(joined.clockJumps.length > 0 ? { clockJumps: joined.clockJumps } : {}),
      },
    };
    const replaced = new Set(segments.map((s) => s.file));
    await updateManifest(archiveDir, (m) => {
      const at = m.files.findIndex((f) => replaced.has(f.file));
      m.files = m.files.filter((f) => !replaced.has(f.file));
      m.files.splice(at < 0 ? m.files.length : at, 0, entry);
      m.events.push(event);
    });
    appendAudit(archiveDir, event);
    for (const s of segments) {
      unlinkSync(path.join(archiveDir, s.file));
    }
    result.joined += 1;
  }
  return result;
}
