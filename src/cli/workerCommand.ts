import { errors } from '../../common/errors.js';
import {
  BUILD_PACKAGES,
  RUNTIME_PACKAGES,
  TEST_PACKAGES,
} from '../../workers/offline/aptPackages.js';
import { type WorkerSource, ensureWorker } from '../../workers/offline/OfflineWorkerBuild.js';
import { resolveWorkerBinary } from '../../workers/workerBinary.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

const SOURCES: readonly WorkerSource[] = ['auto', 'prebuilt', 'offline'];

export async function workerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'build': {
      const { values } = parseFlags(rest, {
        source: { type: 'string', default: 'auto' },
        force: { type: 'boolean', default: false },
        'skip-checks': { type: 'boolean', default: false },
      });
      const source = values.source as WorkerSource;
      if (!SOURCES.includes(source)) {
        throw new errors.USAGE(`--source must be one of ${SOURCES.join(', ')}, got "${source}"`);
      }
      const result = await ensureWorker({
        source,
        force: values.force,
        checks: !values['skip-checks'],
        progress: (line) => console.error(`[worker] ${line}`),
      });
      console.error(
        `[worker] ${result.fromCache ? 'reused' : 'made'} ${result.flavour} worker in ${result.seconds} s`,
      );
      console.log(result.path);
      return 0;
    }
    case 'path': {
      const { values } = parseFlags(rest, CONFIG_FLAG);
      const config = bootConfig(values.config);
      const bin = resolveWorkerBinary(config.mediasoup.workerBin);
      console.log(bin.path);
      return 0;
    }
    case 'apt-packages': {
      const [which] = rest;
      const lists = { build: BUILD_PACKAGES, runtime: RUNTIME_PACKAGES, test: TEST_PACKAGES };
      if (which !== 'build' && which !== 'runtime' && which !== 'test') {
        throw new errors.USAGE('usage: diemcau worker apt-packages build|runtime|test');
      }
      console.log(lists[which].join(' '));
      return 0;
    }
    default:
      throw new errors.USAGE('usage: diemcau worker build|path|apt-packages');
  }
}
