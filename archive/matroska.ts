/**
 * What a player needs from a Matroska file to show its length and seek: the segment's
 * Duration (Info) and its Cues (the seek index). ffmpeg writes both in its trailer; a
 * file whose writer was cut off (a crash, a second SIGINT) has neither, and plays with
 * no length and seeks by guessing. Read from the EBML structure directly: the SeekHead
 * says where the Cues are, so this costs a few small reads whatever the file's size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface MatroskaIndex {
  /** Seconds, from Info/Duration; null when the file has none. */
  durationSeconds: number | null;
  /** The file has a Cues element with at least one cue point. */
  cues: boolean;
}

const ID = {
  EBML: 0x1a45dfa3,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  Tracks: 0x1654ae6b,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  Cluster: 0x1f43b675,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
} as const;

interface Element {
  id: number;
  /** Offset of the element's data. */
  data: number;
  /** Null: unknown size (a live stream, or a cluster whose writer was cut off). */
  size: number | null;
}

class Reader {
  readonly #fd: number;
  readonly length: number;

  constructor(fd: number) {
    this.#fd = fd;
    this.length = fstatSync(fd).size;
  }

  bytes(at: number, n: number): Buffer {
    const buf = Buffer.alloc(Math.max(0, Math.min(n, this.length - at)));
    if (buf.length > 0) {
      readSync(this.#fd, buf, 0, buf.length, at);
    }
    return buf;
  }

  /** The element header at `at`, or null past the end or on bytes that are not EBML. */
  element(at: number): Element | null {
    const head = this.bytes(at, 12);
    const id = vint(head, 0, true);
    if (!id || id.length > 4) {
      return null;
    }
    const size = vint(head, id.length, false);
    if (!size) {
      return null;
    }
    const unknown = size.value === 2 ** (7 * size.length) - 1;
    return { id: id.value, data: at + id.length + size.length, size: unknown ? null : size.value };
  }

  /** The children of an element of known size. */
  *children(parent: Element): Generator<Element> {
    if (parent.size === null) {
      return;
    }
    const end = Math.min(parent.data + parent.size, this.length);
    let at = parent.data;
    while (at < end) {
      const child = this.element(at);
      if (!child || child.size === null) {
        return;
      }
      yield child;
      at = child.data + child.size;
    }
  }

  uint(e: Element): number {
    const b = this.bytes(e.data, e.size ?? 0);
    let v = 0;
    for (const byte of b) {
      v = v * 256 + byte;
    }
    return v;
  }

  float(e: Element): number | null {
    const b = this.bytes(e.data, e.size ?? 0);
    if (b.length === 4) {
      return b.readFloatBE(0);
    }
    if (b.length === 8) {
      return b.readDoubleBE(0);
    }
    return null;
  }
}

/** An EBML variable-length integer: IDs keep their length marker, sizes drop it. */
function vint(
  buf: Buffer,
  at: number,
  keepMarker: boolean,
): { value: number; length: number } | null {
  const first = buf[at];
  if (first === undefined || first === 0) {
    return null;
  }
  const length = Math.clz32(first) - 23;
  if (length > 8 || at + length > buf.length) {
    return null;
  }
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + (buf[at + i] ?? 0);
  }
  return { value, length };
}

/**
 * Whether a Matroska file holds media at all: its tracks, then at least one cluster of
 * frames. A file whose writer stopped before its first packet has a header at most.
 * Cheap (a few reads), so it can be asked of every segment as it closes.
 */
export function matroskaHasMedia(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const r = new Reader(fd);
    const header = r.element(0);
    if (!header || header.id !== ID.EBML || header.size === null) {
      return false;
    }
    const segment = r.element(header.data + header.size);
    if (!segment || segment.id !== ID.Segment) {
      return false;
    }
    let tracks = false;
    let at = segment.data;
    for (let n = 0; n < 64; n++) {
      const e = r.element(at);
      if (!e) {
        return false;
      }
      if (e.id === ID.Tracks) {
        tracks = true;
      } else if (e.id === ID.Cluster) {
        // A cluster holds frames; a cut-off one may have an unknown size.
        return tracks && e.data < r.length;
      }
      if (e.size === null) {
        return false;
      }
      at = e.data + e.size;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

export function readMatroskaIndex(file: string): MatroskaIndex {
  const fd = openSync(file, 'r');
  try {
    const r = new Reader(fd);
    const header = r.element(0);
    if (!header || header.id !== ID.EBML || header.size === null) {
      throw new Error('not a Matroska file');
    }
    const segment = r.element(header.data + header.size);
    if (!segment || segment.id !== ID.Segment) {
      throw new Error('no Matroska segment');
    }
    let scale = 1_000_000;
    let rawDuration: number | null = null;
    let cuesAt: number | null = null;
    // The top-level elements before the first cluster: SeekHead, Info, Tracks, ...
    let at = segment.data;
    for (let n = 0; n < 64; n++) {
      const e = r.element(at);
      if (!e || e.id === ID.Cluster || e.size === null) {
        break;
      }
      if (e.id === ID.Info) {
        for (const c of r.children(e)) {
          if (c.id === ID.TimestampScale) {
            scale = r.uint(c);
          } else if (c.id === ID.Duration) {
            rawDuration = r.float(c);
          }
        }
      } else if (e.id === ID.SeekHead) {
        for (const seek of r.children(e)) {
          if (seek.id !== ID.Seek) {
            continue;
          }
          let target = 0;
          let position: number | null = null;
          for (const c of r.children(seek)) {
            if (c.id === ID.SeekID) {
              target = r.uint(c);
            } else if (c.id === ID.SeekPosition) {
              position = r.uint(c);
            }
          }
          if (target === ID.Cues && position !== null) {
            cuesAt = segment.data + position;
          }
        }
      }
      at = e.data + e.size;
    }
    let cues = false;
    if (cuesAt !== null) {
      const e = r.element(cuesAt);
      if (e?.id === ID.Cues) {
        for (const c of r.children(e)) {
          if (c.id === ID.CuePoint) {
            cues = true;
            break;
          }
        }
      }
    }
    return {
      durationSeconds:
        rawDuration === null || !Number.isFinite(rawDuration) || rawDuration <= 0
          ? null
          : (rawDuration * scale) / 1e9,
      cues,
    };
  } finally {
    closeSync(fd);
  }
}
