/**
 * What is still to be done on an archive whose session has ended: a server stopped in
 * the middle of a session, or between its end and the composite, leaves runs whose
 * segments were never joined, or a composite that is due or was cut short.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isUnjoinedSegment, readManifest } from './manifest.js';

export interface ArchiveWork {
  /** Runs whose segments are not joined into one file yet. */
  join: number;
  /** The composite is due: pending, cut short, or never made after an unjoined session. */
  composite: boolean;
}

export function unfinishedWork(archiveDir: string, compositeEnabled: boolean): ArchiveWork {
  const manifest = readManifest(archiveDir);
  if (!manifest) {
    return { join: 0, composite: false };
  }
  const runs = new Set(manifest.files.filter(isUnjoinedSegment).map((f) => f.run));
  const status = manifest.composite?.status;
  const due =
    status === 'pending' ||
    status === 'rendering' ||
    status === 'interrupted' ||
    // A session cut off by a stop never got as far as its composite.
    (runs.size > 0 && status !== 'failed' && status !== 'skipped');
  return { join: runs.size, composite: compositeEnabled && due };
}

/** What a join or render killed mid-way leaves (never listed, never final). */
export function removeStaleWorkFiles(archiveDir: string): string[] {
  const media = path.join(archiveDir, 'media');
  if (!existsSync(media)) {
    return [];
  }
  const stale = readdirSync(media).filter((f) => f.endsWith('.part') || f.endsWith('.ffconcat'));
  for (const f of stale) {
    rmSync(path.join(media, f), { force: true });
  }
  return stale;
}
