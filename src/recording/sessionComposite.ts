/**
 * Renders a finished session's composite record in the recorder process, keeping the
 * manifest's `composite` state (rendering with progress, done, failed) up to date. Its
 * failure is logged and written down; the per-point files are only ever read.
 */
import path from 'node:path';
import type { RenderedComposite } from '../../recorder/composite.js';
import {
  COMPOSITE_FILE,
  planComposite,
  recordRenderedComposite,
} from '../../recorder/compositePlan.js';
import { type CompositeState, readManifest, updateManifest } from '../../recorder/manifest.js';
import type { Logger } from '../logger.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';

export async function renderSessionComposite(
  supervisor: RecorderSupervisor,
  archiveDir: string,
  logger: Logger,
): Promise<CompositeState> {
  const manifest = readManifest(archiveDir);
  if (!manifest) {
    return { status: 'skipped', progress: 0, detail: 'no manifest' };
  }
  const log = logger.child({ sessionId: manifest.session.id, component: 'composite' });
  const setState = (state: CompositeState): void =>
    updateManifest(archiveDir, (m) => {
      m.composite = state;
    });
  let plan: Awaited<ReturnType<typeof planComposite>>;
  try {
    plan = await planComposite(supervisor.ffmpeg, archiveDir, manifest);
  } catch (err) {
    const state: CompositeState = {
      status: 'failed',
      progress: 0,
      detail: (err as Error).message.slice(0, 500),
    };
    setState(state);
    log.error({ err }, 'composite record failed; the per-point files are untouched');
    return state;
  }
  if (!plan) {
    const state: CompositeState = { status: 'skipped', progress: 0, detail: 'nothing recorded' };
    setState(state);
    return state;
  }
  const job = `${manifest.session.id}:${Date.now()}`;
  let shown = 0;
  const onProgress = (message: { type: string; job?: string; fraction?: number }): void => {
    if (message.type === 'compositeProgress' && message.job === job) {
      const fraction = message.fraction ?? 0;
      if (fraction - shown >= 0.1 || (fraction >= 0.99 && shown < 0.99)) {
        shown = fraction;
        log.info({ progress: Math.round(fraction * 100) }, 'composite rendering');
        setState({ status: 'rendering', progress: Math.round(fraction * 100) / 100 });
      }
    }
  };
  setState({ status: 'rendering', progress: 0 });
  log.info({ points: plan.cells.length, seconds: plan.seconds }, 'composite record started');
  supervisor.on('message', onProgress);
  try {
    const result = (await supervisor.request(
      {
        type: 'composite',
        job,
        cells: plan.cells,
        origin: plan.origin.toISOString(),
        seconds: plan.seconds,
        output: path.join(archiveDir, COMPOSITE_FILE),
      },
      // Slower than real time only on a starved machine; a day is the bound.
      Math.max(10 * 60_000, plan.seconds * 20_000),
    )) as RenderedComposite;
    const detail = recordRenderedComposite(archiveDir, manifest.session.id, plan, result);
    const state: CompositeState = { status: 'done', progress: 1, detail };
    log.info({ speed: result.speed }, 'composite record done');
    return state;
  } catch (err) {
    const state: CompositeState = {
      status: 'failed',
      progress: shown,
      detail: (err as Error).message.slice(0, 500),
    };
    setState(state);
    log.error({ err }, 'composite record failed; the per-point files are untouched');
    return state;
  } finally {
    supervisor.off('message', onProgress);
  }
}
