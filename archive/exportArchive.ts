/**
 * `diemcau recordings export`: copies a session archive to another disk (an external
 * drive for the legal backup) into `<to>/<sessionId>`, then verifies the copy on its own
 * (hashes re-read from the target). The copy is made under a `.partial` name and only
 * renamed once verified, so an interrupted export never looks complete. A target
 * without room is refused before anything is written.
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { sha256File } from '../common/sha256File.js';
import { type ArchiveVerification, isDamaged, verifyArchive } from './verifyArchive.js';

export interface ExportProgress {
  copiedBytes: number;
  totalBytes: number;
  file: string;
}

export type ExportOutcome =
  | {
      status: 'exported';
      target: string;
      bytes: number;
      files: number;
      verification: ArchiveVerification;
    }
  | { status: 'no-room'; needBytes: number; freeBytes: number }
  | { status: 'exists'; target: string }
  | { status: 'copy-failed'; target: string; verification: ArchiveVerification };

/** Room kept free on the target beyond the archive itself (directory entries, a margin). */
const MARGIN_BYTES = 4 * 1024 * 1024;

export async function exportArchive(
  source: string,
  toDir: string,
  onProgress: (p: ExportProgress) => void = () => undefined,
  options: { ffmpeg?: string } = {},
): Promise<ExportOutcome> {
  const id = path.basename(source);
  const target = path.join(toDir, id);
  if (existsSync(target)) {
    return { status: 'exists', target };
  }
  mkdirSync(toDir, { recursive: true });
  const files = listFiles(source);
  const totalBytes = files.reduce((n, f) => n + statSync(path.join(source, f)).size, 0);
  const fs = statfsSync(toDir);
  const freeBytes = fs.bavail * fs.bsize;
  if (freeBytes < totalBytes + MARGIN_BYTES) {
    return { status: 'no-room', needBytes: totalBytes + MARGIN_BYTES, freeBytes };
  }
  const partial = `${target}.partial`;
  rmSync(partial, { recursive: true, force: true });
  // Media first, the manifest and the audit log last: they describe what is there.
  const ordered = [
    ...files.filter((f) => f.startsWith('media/')),
    ...files.filter((f) => !f.startsWith('media/')),
  ];
  let copiedBytes = 0;
  for (const f of ordered) {
    const from = path.join(source, f);
    const to = path.join(partial, f);
    mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        copiedBytes += chunk.length;
        onProgress({ copiedBytes, totalBytes, file: f });
        done(null, chunk);
      },
    });
    await pipeline(createReadStream(from), counter, createWriteStream(to, { mode: 0o600 }));
    // On the drive, not in the page cache, before the drive is unplugged.
    const fd = openSync(to, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  onProgress({ copiedBytes, totalBytes, file: '' });
  const verification = await verifyArchive(partial, options);
  // The manifest, the audit log and the rest are not hashed in the manifest: compared.
  for (const f of files.filter((x) => !x.startsWith('media/'))) {
    const [a, b] = await Promise.all([
      sha256File(path.join(source, f)),
      sha256File(path.join(partial, f)),
    ]);
    if (a !== b) {
      verification.ok = false;
      verification.status = 'damaged';
      verification.problems.push(`${f}: the copy differs from the original`);
    }
  }
  // A copy is failed when it is damaged; gaps it has, the original has too.
  if (isDamaged(verification)) {
    return { status: 'copy-failed', target: partial, verification };
  }
  renameSync(partial, target);
  return { status: 'exported', target, bytes: totalBytes, files: files.length, verification };
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      out.push(...listFiles(dir, rel));
    } else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
      out.push(rel);
    }
  }
  return out.sort();
}
