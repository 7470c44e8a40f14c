/** Where a session's archive and its recordings' working files live in a data directory. */
import path from 'node:path';

export function archiveDirOf(dataDir: string, sessionId: string): string {
  return path.join(dataDir, 'archive', sessionId);
}

/**
 * ffmpeg's working files of a session's recording runs (SDPs, segment lists): needed
 * while it is live and to take in what a crash left, never part of the archive.
 */
export function workDirOf(dataDir: string, sessionId: string): string {
  return path.join(dataDir, 'work', sessionId);
}
