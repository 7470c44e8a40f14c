/**
 * The "record of proceedings": after a session, one widely playable video (H.264 + AAC
 * in MP4, moov first) with every point in a grid, each labelled with its name, the
 * wall-clock time burned in, and everyone's sound mixed. Each point's picture and sound
 * sit at their wall-clock place, so the grid shows who was present when. It is made
 * from the per-point files, which it only reads.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { sha256File } from '../common/sha256File.js';
import type { CompositeCell, RenderedComposite } from '../protocol/recorder.js';

export type { CompositeCell, CompositeRun, RenderedComposite } from '../protocol/recorder.js';

export interface CompositeOptions {
  ffmpeg: string;
  cells: CompositeCell[];
  /** Wall-clock time of the composite's first frame. */
  origin: Date;
  seconds: number;
  output: string;
  /** A TrueType font with Vietnamese glyphs; null: no text is burned in. */
  fontFile: string | null;
  /** Output width; each cell is 16:9. */
  width?: number;
  onProgress?: (fraction: number) => void;
  /** Aborting kills the render (e.g. the recorder is shutting down). */
  signal?: AbortSignal;
}

const FPS = 25;
/** The render's clock standing still this long is a stall (it reports twice a second). */
const STALL_MS = 120_000;
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
];

export function defaultFontFile(): string | null {
  return FONT_CANDIDATES.find((f) => existsSync(f)) ?? null;
}

/** The grid: columns × rows for `n` cells, as square as it gets. */
export function gridOf(n: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { cols, rows: Math.max(1, Math.ceil(n / cols)) };
}

/**
 * The ffmpeg arguments, and the text files they read (names and the clock go through
 * files: no escaping of names with quotes, colons or diacritics into a filter graph).
 */
export function compositeArgs(
  o: CompositeOptions,
  textDir: string,
): { args: string[]; texts: Map<string, string> } {
  const texts = new Map<string, string>();
  const { cols, rows } = gridOf(o.cells.length);
  const even = (x: number): number => Math.max(2, Math.floor(x / 2) * 2);
  const cellW = even((o.width ?? 1280) / cols);
  const cellH = even((cellW * 9) / 16);
  const inputs: string[] = [];
  const graph: string[] = [];
  const audio: string[] = [];
  const font = o.fontFile;
  const text = (name: string, content: string, where: string, size: number): string => {
    if (font === null) {
      return 'null';
    }
    const file = path.join(textDir, name);
    texts.set(file, content);
    return (
      `drawtext=fontfile=${filterPath(font)}:textfile=${filterPath(file)}:${where}` +
      `:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6`
    );
  };
  let input = 0;
  for (const [c, cell] of o.cells.entries()) {
    graph.push(`color=c=0x202020:s=${cellW}x${cellH}:r=${FPS}:d=${o.seconds.toFixed(3)}[base${c}]`);
    let under = `base${c}`;
    for (const [r, run] of cell.runs.entries()) {
      // The run's place in time is given at the input, to sound and picture alike (a
      // shift inside the graph, setpts and adelay, can stall ffmpeg 5.1 at the end).
      // A run's picture changes size whenever the SFU switches its simulcast layer. By
      // default ffmpeg rebuilds the whole graph then: the grid's clock, the mix and
      // every overlay start again from zero, timestamps run backwards, and the render
      // never ends. Without the rebuild, `scale` takes each new size as it comes.
      inputs.push('-reinit_filter', '0', '-itsoffset', run.offset.toFixed(3), '-i', run.file);
      if (run.video) {
        graph.push(
          `[${input}:v]scale=${cellW}:${cellH}:force_original_aspect_ratio=decrease,` +
            `pad=${cellW}:${cellH}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${FPS}[v${c}_${r}]`,
        );
        graph.push(`[${under}][v${c}_${r}]overlay=eof_action=pass[o${c}_${r}]`);
        under = `o${c}_${r}`;
      }
      if (run.audio) {
        // Silence fills to the run's first sound, so its place in time is kept, and
        // after its last up to the composite's end: every input of the mix then spans
        // the whole record with one timeline (inputs that end early made amix's
        // timestamps run backwards, and the render never reached its end).
        graph.push(
          `[${input}:a]aresample=48000:async=1:first_pts=0,` +
            `aformat=channel_layouts=stereo,apad=whole_dur=${o.seconds.toFixed(3)},` +
            `atrim=end=${o.seconds.toFixed(3)}[a${c}_${r}]`,
        );
        audio.push(`[a${c}_${r}]`);
      }
      input += 1;
    }
    const fontSize = Math.max(14, Math.round(cellH / 18));
    graph.push(
      `[${under}]${text(`label${c}.txt`, cell.label, 'x=10:y=h-th-10', fontSize)}[cell${c}]`,
    );
  }
  const cellsOut = o.cells.map((_, c) => `[cell${c}]`).join('');
  const layout = o.cells
    .map((_, i) => `${(i % cols) * cellW}_${Math.floor(i / cols) * cellH}`)
    .join('|');
  if (o.cells.length === 1) {
    graph.push(`${cellsOut}null[grid]`);
  } else {
    graph.push(
      `${cellsOut}xstack=inputs=${o.cells.length}:layout=${layout}:fill=black,` +
        `pad=${cols * cellW}:${rows * cellH}:0:0:black[grid]`,
    );
  }
  // drawtext's clock: seconds since the composite's start, plus its wall-clock origin.
  const clock = `%{pts:localtime:${(o.origin.getTime() / 1000).toFixed(3)}:%Y-%m-%d %H\\:%M\\:%S %z}`;
  graph.push(`[grid]${text('clock.txt', clock, 'x=w-tw-10:y=10', 22)},format=yuv420p[v]`);
  if (audio.length === 0) {
    graph.push(`anullsrc=r=48000:cl=stereo,atrim=end=${o.seconds.toFixed(3)}[a]`);
  } else {
    graph.push(`${audio.join('')}amix=inputs=${audio.length}:duration=longest:normalize=0[a]`);
  }
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-y',
    ...inputs,
    '-filter_complex',
    graph.join(';'),
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-t',
    o.seconds.toFixed(3),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    // The index first: the file plays while it is still being copied or downloaded.
    '-movflags',
    '+faststart',
    '-progress',
    'pipe:1',
    '-nostats',
    '-f',
    'mp4',
  ];
  return { args, texts };
}

/** Renders the composite into `output` (through `output.part`), reporting progress. */
export async function renderComposite(o: CompositeOptions): Promise<RenderedComposite> {
  if (o.cells.length === 0 || o.seconds <= 0) {
    throw new Error('nothing to composite');
  }
  const textDir = mkdtempSync(path.join(tmpdir(), 'diemcau-composite-'));
  const partial = `${o.output}.part`;
  const began = Date.now();
  try {
    const { args, texts } = compositeArgs(o, textDir);
    for (const [file, content] of texts) {
      writeFileSync(file, content);
    }
    await new Promise<void>((resolve, reject) => {
      const child = spawn(o.ffmpeg, [...args, partial], {
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: o.signal,
        killSignal: 'SIGKILL',
      });
      // Live sessions come first: the composite takes what CPU they leave.
      if (child.pid !== undefined) {
        try {
          setPriority(child.pid, 15);
        } catch {
          // Not allowed here: it runs at normal priority.
        }
      }
      let err = '';
      let last = -1;
      // A render that stops making progress is a failure, not a wait without end.
      let stalled = false;
      let lastOutput = Date.now();
      const watchdog = setInterval(() => {
        if (Date.now() - lastOutput > STALL_MS) {
          stalled = true;
          child.kill('SIGKILL');
        }
      }, 1000);
      let outTime = -1;
      child.stdout.on('data', (d: Buffer) => {
        const m = /out_time_us=(\d+)/.exec(d.toString());
        if (m && Number(m[1]) > outTime) {
          outTime = Number(m[1]);
          lastOutput = Date.now();
        }
        if (m && o.onProgress) {
          const fraction = Math.min(1, Number(m[1]) / 1e6 / o.seconds);
          if (fraction - last >= 0.01) {
            last = fraction;
            o.onProgress(fraction);
          }
        }
      });
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-2000);
      });
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearInterval(watchdog);
        if (stalled) {
          reject(new Error(`composite ffmpeg made no progress for ${STALL_MS / 1000} s: stopped`));
        } else if (code === 0) {
          resolve();
        } else {
          reject(new Error(`composite ffmpeg exited ${code ?? signal}: ${err.trim()}`));
        }
      });
    });
    renameSync(partial, o.output);
    const spent = (Date.now() - began) / 1000;
    return {
      file: o.output,
      bytes: statSync(o.output).size,
      sha256: await sha256File(o.output),
      seconds: o.seconds,
      speed: o.seconds / Math.max(spent, 0.001),
    };
  } finally {
    rmSync(textDir, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

/** A path inside a filter graph option: `:` `\` `'` and `,` would end or bend it. */
function filterPath(file: string): string {
  return file.replace(/[\\:',;[\]]/g, (c) => `\\${c}`);
}
