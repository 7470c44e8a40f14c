/**
 * Which files the composite record is made of, and where: every point gets a cell
 * (central first, then by name), every recorded audio-video file of that point is
 * placed at its wall-clock start.
 */
import path from 'node:path';
import type { CompositeCell, RenderedComposite } from './composite.js';
import { type CompositeState, type Manifest, readManifest, updateManifest } from './manifest.js';
import { appendAudit } from './AuditLog.js';
import { runSpans } from './archiveCompleteness.js';
import { probeMedia } from './probe.js';

export interface CompositePlan {
  cells: CompositeCell[];
  origin: Date;
  seconds: number;
  /** Files ffmpeg cannot read: left out (verify names them), not the whole record lost. */
  skipped: string[];
}

export async function planComposite(
  ffmpeg: string,
  archiveDir: string,
  manifest: Manifest,
): Promise<CompositePlan | null> {
  const files = manifest.files.filter((f) => f.kind === 'av' && f.pointId !== undefined);
  if (files.length === 0) {
    return null;
  }
  const origin = Math.min(...files.map((f) => Date.parse(f.start)));
  // A file whose clock jumped claims an end hours away (verify names it): the record
  // ends with the runs as the timeline has them.
  const spans = runSpans(manifest.events);
  const endOf = (f: (typeof files)[number]): number => {
    const stop = f.run === undefined ? null : (spans.get(f.run)?.end ?? null);
    return Math.min(Date.parse(f.end), stop === null ? Infinity : stop + 5000);
  };
  const end = Math.max(...files.map(endOf));
  const points = new Map(manifest.points.map((p) => [p.id, p]));
  const ids = [...new Set(files.map((f) => f.pointId ?? ''))].sort((a, b) => {
    const central = (id: string): number => (points.get(id)?.kind === 'central' ? 0 : 1);
    return central(a) - central(b) || nameOf(a).localeCompare(nameOf(b), 'vi');
  });
  function nameOf(id: string): string {
    return points.get(id)?.name ?? id;
  }
  const cells: CompositeCell[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    const runs = [];
    for (const f of files.filter((x) => x.pointId === id)) {
      const full = path.join(archiveDir, f.file);
      const probe = await probeMedia(ffmpeg, full).catch(() => null);
      if (!probe || (!probe.video && !probe.audio)) {
        skipped.push(f.file);
        continue;
      }
      runs.push({
        file: full,
        offset: (Date.parse(f.start) - origin) / 1000,
        video: probe.video,
        audio: probe.audio,
      });
    }
    if (runs.length > 0) {
      cells.push({ label: nameOf(id), runs });
    }
  }
  if (cells.length === 0) {
    return null;
  }
  return {
    cells,
    origin: new Date(origin),
    seconds: Math.max(1, (end - origin) / 1000),
    skipped,
  };
}

export const COMPOSITE_FILE = 'media/composite.mp4';

/** Lists a rendered composite in the manifest (replacing an earlier one) and the audit log. */
async function recordRenderedComposite(
  archiveDir: string,
  sessionId: string,
  plan: CompositePlan,
  result: RenderedComposite,
): Promise<string> {
  const left = plan.skipped.length > 0 ? `; left out, unreadable: ${plan.skipped.join(', ')}` : '';
  const detail = `${plan.cells.length} points, ${plan.seconds.toFixed(1)} s, ${result.speed.toFixed(1)}× real time${left}`;
  await updateManifest(archiveDir, (m) => {
    m.files = m.files.filter((f) => f.kind !== 'composite');
    m.files.push({
      file: COMPOSITE_FILE,
      sha256: result.sha256,
      bytes: result.bytes,
      kind: 'composite',
      start: plan.origin.toISOString(),
      end: new Date(plan.origin.getTime() + plan.seconds * 1000).toISOString(),
    });
    m.composite = { status: 'done', progress: 1, detail };
  });
  appendAudit(archiveDir, {
    sessionId,
    type: 'composite-rendered',
    detail: { file: COMPOSITE_FILE, sha256: result.sha256, bytes: result.bytes },
  });
  return detail;
}

/** What a renderer is given: the plan, where to write, and where to report progress. */
export interface CompositeJob {
  cells: CompositeCell[];
  origin: Date;
  seconds: number;
  output: string;
  onProgress: (fraction: number) => void;
}

/**
 * Plans and renders an archive's composite record with `render` (in the recorder
 * process for the server, in place for the command line), keeping the manifest's
 * `composite` state up to date: rendering (with its progress, by tenths), then done
 * and listed with its hash, or failed. The per-point files are only ever read.
 */
export async function renderArchiveComposite(
  archiveDir: string,
  ffmpeg: string,
  render: (job: CompositeJob) => Promise<RenderedComposite>,
  onProgress: (fraction: number) => void = () => undefined,
): Promise<CompositeState> {
  const manifest = readManifest(archiveDir);
  if (!manifest) {
    return { status: 'skipped', progress: 0, detail: 'no manifest' };
  }
  const setState = async (state: CompositeState): Promise<CompositeState> => {
    await updateManifest(archiveDir, (m) => {
      m.composite = state;
    });
    return state;
  };
  let shown = 0;
  try {
    const plan = await planComposite(ffmpeg, archiveDir, manifest);
    if (!plan) {
      return setState({ status: 'skipped', progress: 0, detail: 'nothing recorded' });
    }
    await setState({ status: 'rendering', progress: 0 });
    const result = await render({
      cells: plan.cells,
      origin: plan.origin,
      seconds: plan.seconds,
      output: path.join(archiveDir, COMPOSITE_FILE),
      onProgress: (fraction) => {
        if (fraction - shown >= 0.1 || (fraction >= 0.99 && shown < 0.99)) {
          shown = fraction;
          onProgress(fraction);
          // Progress is a hint: the final state is written in order after it.
          setState({ status: 'rendering', progress: Math.round(fraction * 100) / 100 }).catch(
            () => undefined,
          );
        }
      },
    });
    const detail = await recordRenderedComposite(archiveDir, manifest.session.id, plan, result);
    return { status: 'done', progress: 1, detail };
  } catch (err) {
    return setState({
      status:
        (err as { code?: string }).code === 'DC_ERR_RECORDER_INTERRUPTED'
          ? 'interrupted'
          : 'failed',
      progress: Math.round(shown * 100) / 100,
      detail: (err as Error).message.slice(0, 500),
    });
  }
}
