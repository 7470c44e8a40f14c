import { loadConfig } from '../../src/config/loadConfig.js';
import { createLogger } from '../../common/logger.js';
import { Server } from '../../src/Server.js';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { resolveWorkerBinary } from '../../workers/workerBinary.js';
import { freePortBlock } from './ports.js';
import { TEST_SECRET } from './session.js';

/**
 * The server in this process, for benchmarks and for tests that must reach its rooms:
 * free ports, the test secret (tokens from `./session.js` are valid), warnings only in
 * the log. `env` adds or overrides settings.
 */
export async function startInProcessServer(
  dataDir: string,
  options: { workers?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Server> {
  const workers = options.workers ?? 2;
  const config = loadConfig({
    env: {
      DIEMCAU_DATA_DIR: dataDir,
      DIEMCAU_HTTP_PORT: '0',
      DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(workers)),
      DIEMCAU_AUTH_JWT_SECRET: TEST_SECRET,
      DIEMCAU_LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  return Server.start({
    config,
    logger: createLogger('warn'),
    workerBin: resolveWorkerBinary(null).path,
    numWorkers: workers,
    signingKey: Buffer.from(TEST_SECRET, 'utf8'),
    ffmpeg: resolveFfmpeg(null).path,
  });
}
