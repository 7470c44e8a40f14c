/**
 * Renders a finished session's composite record in the recorder process (see
 * renderArchiveComposite for the manifest's state); its failure is logged and written
 * down, and never touches the per-point files.
 */
import path from 'node:path';
import { renderArchiveComposite } from '../../archive/compositePlan.js';
import type { CompositeState } from '../../archive/manifest.js';
import type { RecorderMessage } from '../../protocol/recorder.js';
import type { Logger } from '../../common/logger.js';
import type { RecorderSupervisor } from './RecorderSupervisor.js';

export async function renderSessionComposite(
  supervisor: RecorderSupervisor,
  archiveDir: string,
  logger: Logger,
): Promise<CompositeState> {
  const log = logger.child({ sessionId: path.basename(archiveDir), component: 'composite' });
  const state = await renderArchiveComposite(
    archiveDir,
    supervisor.ffmpeg,
    async (job) => {
      const id = `${archiveDir}:${Date.now()}`;
      const onMessage = (message: RecorderMessage): void => {
        if (message.type === 'compositeProgress' && message.job === id) {
          job.onProgress(message.fraction);
        }
      };
      log.info({ points: job.cells.length, seconds: job.seconds }, 'composite record started');
      supervisor.on('message', onMessage);
      try {
        return await supervisor.request(
          {
            type: 'composite',
            job: id,
            cells: job.cells,
            origin: job.origin.toISOString(),
            seconds: job.seconds,
            output: job.output,
          },
          // Slower than real time only on a starved machine; a day is the bound.
          Math.max(10 * 60_000, job.seconds * 20_000),
        );
      } finally {
        supervisor.off('message', onMessage);
      }
    },
    (fraction) => log.info({ progress: Math.round(fraction * 100) }, 'composite rendering'),
  );
  if (state.status === 'failed') {
    log.error(
      { detail: state.detail },
      'composite record failed; the per-point files are untouched',
    );
  } else {
    log.info({ status: state.status, detail: state.detail }, 'composite record');
  }
  return state;
}
