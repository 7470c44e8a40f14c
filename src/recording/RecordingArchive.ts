/**
 * A live session's archive as its recorder fills it: every closed segment hashed into
 * the manifest (through the archive's one writer: a burst of segments is one write),
 * with the session's points and timeline; and what a run that did not stop cleanly
 * left (segments its ffmpeg listed but nobody hashed, the one it was writing) taken in.
 * A session that sits again (everyone had left) keeps its archive: files and events.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import { sha256File } from '../../common/sha256File.js';
import { archiveDirOf, workDirOf } from '../../archive/archivePaths.js';
import {
  type Manifest,
  type ManifestFile,
  type ManifestPlan,
  ManifestWriter,
  readManifest,
} from '../../archive/manifest.js';
import { probeMedia } from '../../archive/probe.js';
import type { ClosedSegment } from '../../protocol/recorder.js';
import { hashSegment, segmentListEntries, segmentListFile } from '../../recorder/PointRecorder.js';
import type { Session } from '../sessions/Session.js';

export type Group = 'av' | 'screen';

/** A point's microphone and camera are recorded together; its screen apart. */
export function groupOf(producer: types.Producer): Group {
  return (producer.appData as { source?: string }).source === 'screen' ? 'screen' : 'av';
}

/** One run: one ffmpeg recording one point's group from start to stop (or death). */
export interface RunInfo {
  pointId: string;
  group: Group;
  name: string;
  /** Wall clock of ffmpeg's time zero: the moment media was let flow to it. */
  startedAt: Date;
  /** Wall-clock end of the last file of this run seen so far. */
  lastEnd: Date;
}

export class RecordingArchive {
  readonly dir: string;
  readonly media: string;
  /** The runs' working files (SDPs, segment lists); removed once the runs are joined. */
  readonly work: string;
  readonly #session: Session;
  readonly #log: Logger;
  readonly #writer: ManifestWriter;
  readonly #files: ManifestFile[];
  /** File names already in (or being hashed into) the manifest. */
  readonly #known = new Set<string>();
  /** Events of the same session from before this sitting. */
  readonly #earlierEvents: Manifest['events'];

  readonly #plan: () => ManifestPlan | undefined;

  constructor(
    dataDir: string,
    session: Session,
    log: Logger,
    plan: () => ManifestPlan | undefined = () => undefined,
  ) {
    this.#plan = plan;
    this.dir = archiveDirOf(dataDir, session.id);
    this.media = path.join(this.dir, 'media');
    this.work = workDirOf(dataDir, session.id);
    this.#session = session;
    this.#log = log;
    this.#writer = ManifestWriter.for(this.dir);
    let earlier: Manifest | null = null;
    try {
      earlier = readManifest(this.dir);
    } catch (err) {
      log.error({ err }, 'manifest.json unreadable; a new one is written beside the media');
    }
    this.#files = earlier?.files.filter((f) => f.kind !== 'composite') ?? [];
    this.#earlierEvents = earlier?.events ?? [];
    for (const f of this.#files) {
      this.#known.add(path.basename(f.file));
    }
  }

  /**
   * A segment the recorder closed and hashed: listed, unless it holds nothing of the
   * recording (then removed: the archive holds what it lists). Returns what is wrong
   * with it, for the chair and the log, or null.
   */
  segmentClosed(run: RunInfo, segment: ClosedSegment): string | null {
    const name = path.basename(segment.file);
    if (segment.end <= segment.start && (segment.bytes === 0 || segment.readable === false)) {
      // Closed before its first packet (its point stopped at once): a header at most,
      // nothing of the recording. Not a record of anything, so not kept.
      rmSync(segment.file, { force: true });
      this.#log.info({ file: name }, 'segment without media removed');
      return null;
    }
    if (segment.bytes === 0) {
      // What it should have held is a gap verify reports.
      rmSync(segment.file, { force: true });
      return `${name} came out empty`;
    }
    this.addFile(run, segment, false);
    return segment.readable === false ? `${name} cannot be opened by ffmpeg; kept as it is` : null;
  }

  /** Lists a closed segment of `run` (once), and writes the manifest. */
  addFile(run: RunInfo, segment: ClosedSegment, interrupted: boolean): void {
    const name = path.basename(segment.file);
    if (this.#files.some((f) => path.basename(f.file) === name)) {
      return;
    }
    this.#known.add(name);
    const at = (seconds: number): Date => new Date(run.startedAt.getTime() + seconds * 1000);
    const end = at(segment.end);
    if (end > run.lastEnd) {
      run.lastEnd = end;
    }
    this.#files.push({
      file: path.relative(this.dir, segment.file),
      sha256: segment.sha256,
      bytes: segment.bytes,
      kind: run.group,
      pointId: run.pointId,
      start: at(segment.start).toISOString(),
      end: end.toISOString(),
      run: run.name,
      ...(interrupted ? { interrupted: true } : {}),
      ...(segment.readable === false ? { unreadable: true } : {}),
    });
    this.write();
  }

  /**
   * The manifest as the session stands (files, points, timeline), written in its turn;
   * the composite, written after the session by another hand, is kept as it is on disk.
   */
  write(): void {
    this.#writer
      .writeSnapshot((onDisk) => this.#build(onDisk))
      .catch((err: unknown) => this.#log.error({ err }, 'writing manifest.json failed'));
  }

  /** Resolves once everything asked so far is on disk. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Takes in what a run that did not stop cleanly left: segments ffmpeg listed but the
   * recorder never hashed, and the one being written (after a crash: `interrupted`,
   * readable up to the crash; after a starved ffmpeg was stopped: whole, but without
   * its index). Files without a frame of media are removed.
   */
  async takeIn(run: RunInfo, crashed: boolean, ffmpeg: string): Promise<void> {
    const listFile = segmentListFile(this.work, run.name);
    const listed = existsSync(listFile)
      ? segmentListEntries(readFileSync(listFile, 'utf8'), this.media)
      : [];
    for (const entry of listed) {
      const name = path.basename(entry.file);
      if (this.#known.has(name) || !existsSync(entry.file)) {
        continue;
      }
      this.#known.add(name);
      this.addFile(run, await hashSegment(entry), false);
    }
    const prefix = `${run.name}-`;
    const left = existsSync(this.media)
      ? readdirSync(this.media)
          .filter((n) => n.startsWith(prefix) && n.endsWith('.mkv') && !this.#known.has(n))
          .sort()
      : [];
    for (const name of left) {
      const full = path.join(this.media, name);
      const bytes = statSync(full).size;
      if (bytes === 0 || (bytes < 64 * 1024 && !(await readable(ffmpeg, full)))) {
        // Opened by ffmpeg just before the crash: headers at most, not a frame of media.
        this.#log.warn({ file: name, bytes }, 'segment cut before its first frame removed');
        unlinkSync(full);
        continue;
      }
      this.#known.add(name);
      const startSeconds = (run.lastEnd.getTime() - run.startedAt.getTime()) / 1000;
      const endSeconds = (Date.now() - run.startedAt.getTime()) / 1000;
      this.addFile(
        run,
        { file: full, bytes, sha256: await sha256File(full), start: startSeconds, end: endSeconds },
        crashed,
      );
      this.#log.warn(
        { file: name, bytes },
        crashed ? 'segment interrupted by a crash taken in' : 'last segment taken in',
      );
    }
  }

  #build(onDisk: Manifest | null): Manifest {
    const session = this.#session;
    const plan = this.#plan() ?? onDisk?.session.plan;
    const composites = onDisk?.files.filter((f) => f.kind === 'composite') ?? [];
    const points = new Map((onDisk?.points ?? []).map((p) => [p.id, p]));
    for (const p of session.points.values()) {
      points.set(p.id, { id: p.id, name: p.name, kind: p.kind, role: p.role });
    }
    return {
      version: 1,
      session: {
        id: session.id,
        openedAt: onDisk?.session.openedAt ?? session.openedAt.toISOString(),
        ...(plan ? { plan } : {}),
      },
      points: [...points.values()],
      events: [...this.#earlierEvents, ...session.timeline],
      files: [...this.#files, ...composites],
      ...(onDisk?.composite ? { composite: onDisk.composite } : {}),
      updatedAt: new Date().toISOString(),
    };
  }
}

async function readable(ffmpeg: string, file: string): Promise<boolean> {
  try {
    await probeMedia(ffmpeg, file);
    return true;
  } catch {
    return false;
  }
}
