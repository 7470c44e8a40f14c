/**
 * `manifest.json` of a session archive: the session, its points, the event timeline,
 * and every media file with its SHA-256. Written whole or not at all (a crash mid-write
 * leaves the previous manifest), 0600.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type MediaKind = 'av' | 'screen' | 'composite';

export interface ManifestFile {
  /** Path inside the archive, e.g. `media/ha-noi-av-2026-….mkv`. */
  file: string;
  sha256: string;
  bytes: number;
  kind: MediaKind;
  /** Absent for the composite, which shows every point. */
  pointId?: string;
  /** Wall-clock span, ISO 8601. */
  start: string;
  end: string;
  /** The recording run (one ffmpeg) the file belongs to. */
  run?: string;
  /** Written up to a crash of its ffmpeg or the recorder, not closed by ffmpeg. */
  interrupted?: boolean;
  /** ffmpeg could not open it when it was closed: kept as evidence, named by verify. */
  unreadable?: boolean;
  /** A joined file: the segments it replaced, as they were hashed. */
  joinedFrom?: { file: string; sha256: string; bytes: number }[];
}

/**
 * A segment still to be joined into its run's file. Unreadable ones are kept apart as
 * they are (evidence; a join would fail on them and lose the rest).
 */
export function isUnjoinedSegment(f: ManifestFile): boolean {
  return (
    f.kind !== 'composite' &&
    f.run !== undefined &&
    f.joinedFrom === undefined &&
    f.unreadable !== true
  );
}

export interface CompositeState {
  /**
   * `pending`: due (the session ended) but not started; `interrupted`: cut short by a
   * shutdown or the recorder's death. Both are rendered when the server next starts.
   */
  status: 'pending' | 'rendering' | 'interrupted' | 'done' | 'failed' | 'skipped';
  progress: number;
  detail?: string;
}

export interface Manifest {
  version: 1;
  session: { id: string; openedAt: string };
  points: { id: string; name: string; kind: string; role: string }[];
  events: { at: string; type: string; pointId?: string; detail?: Record<string, unknown> }[];
  files: ManifestFile[];
  composite?: CompositeState;
  updatedAt: string;
}

export function manifestPath(archiveDir: string): string {
  return path.join(archiveDir, 'manifest.json');
}

export function readManifest(archiveDir: string): Manifest | null {
  const file = manifestPath(archiveDir);
  if (!existsSync(file)) {
    return null;
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

export function writeManifest(archiveDir: string, manifest: Manifest): void {
  const file = manifestPath(archiveDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Read, change, write back: for what happens after the session's recorder has gone. */
export function updateManifest(archiveDir: string, change: (m: Manifest) => void): void {
  const manifest = readManifest(archiveDir);
  if (manifest) {
    change(manifest);
    manifest.updatedAt = new Date().toISOString();
    writeManifest(archiveDir, manifest);
  }
}
