/**
 * `manifest.json` of a session archive: the session, its points, the event timeline,
 * and every media file with its SHA-256. Written whole or not at all (a crash mid-write
 * leaves the previous manifest), 0600.
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
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

/** What the session was planned as (from the central point's store), when it was. */
export interface ManifestPlan {
  title: string;
  caseSummary: string;
  category: string;
  hostLevel: string;
  chair: string;
  startsAt: string;
  endsAt: string;
  rehearsalAt: string | null;
  points: {
    id: string;
    kind: string;
    name: string;
    organisation: string;
    people: { role: string; name: string }[];
  }[];
}

export interface Manifest {
  version: 1;
  session: { id: string; openedAt: string; plan?: ManifestPlan };
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

/**
 * The one writer of each archive's manifest.json in this process: every change is a
 * whole read-change-write, applied in the order asked, written to a temporary file,
 * flushed to disk and renamed over the old one (a crash leaves the old or the new,
 * never half of one). The live recorder, the session's end and the composite all write
 * through it, so none of them loses another's change.
 */
export class ManifestWriter {
  static readonly #writers = new Map<string, ManifestWriter>();
  readonly #dir: string;
  #queue: Promise<void> = Promise.resolve();
  /** A snapshot asked for and not written yet: later asks fold into it. */
  #snapshot: ((onDisk: Manifest | null) => Manifest) | null = null;

  static for(archiveDir: string): ManifestWriter {
    const dir = path.resolve(archiveDir);
    let writer = ManifestWriter.#writers.get(dir);
    if (!writer) {
      writer = new ManifestWriter(dir);
      ManifestWriter.#writers.set(dir, writer);
    }
    return writer;
  }

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Reads the manifest (null if there is none), lets `change` edit it or return a new
   * one, writes the result (nothing when both are null). Resolves once it is on disk.
   */
  update(change: (manifest: Manifest | null) => Manifest | null | void): Promise<void> {
    return this.#enqueue(async () => {
      const current = await readManifestAsync(this.#dir);
      const next = change(current) ?? current;
      if (next) {
        next.updatedAt = new Date().toISOString();
        await this.#write(next);
      }
    });
  }

  /**
   * Writes what `build` makes of the live state (and of the manifest on disk) when its
   * turn comes: asks made while one waits are the same write (a recorder asks on every
   * segment; the last state wins).
   */
  writeSnapshot(build: (onDisk: Manifest | null) => Manifest): Promise<void> {
    const waiting = this.#snapshot !== null;
    this.#snapshot = build;
    if (waiting) {
      return this.#queue;
    }
    return this.#enqueue(async () => {
      const make = this.#snapshot;
      this.#snapshot = null;
      if (make) {
        await this.#write(make(await readManifestAsync(this.#dir)));
      }
    });
  }

  /** Writes `manifest` as it is (its `updatedAt` too). */
  replace(manifest: Manifest): Promise<void> {
    return this.#enqueue(() => this.#write(manifest));
  }

  /** Resolves when everything asked so far is on disk. */
  flush(): Promise<void> {
    return this.#queue;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    // One failed write is reported to its caller and does not stop the ones after it.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(manifest: Manifest): Promise<void> {
    const file = manifestPath(this.#dir);
    const temporary = `${file}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  }
}

async function readManifestAsync(archiveDir: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(manifestPath(archiveDir), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw err;
  }
}

/** A new manifest (or one replacing it whole): through the archive's writer. */
export function writeManifest(archiveDir: string, manifest: Manifest): Promise<void> {
  return ManifestWriter.for(archiveDir).replace(manifest);
}

/** Read, change, write back, through the archive's writer; nothing if there is no manifest. */
export function updateManifest(archiveDir: string, change: (m: Manifest) => void): Promise<void> {
  return ManifestWriter.for(archiveDir).update((m) => {
    if (m) {
      change(m);
    }
    return m;
  });
}
