import type { Logger } from '../../common/logger.js';
import { WorkerPool } from '../../workers/WorkerPool.js';
import { resolveWorkerBinary } from '../../workers/workerBinary.js';
import { freePortBlock } from './ports.js';

/** One real mediasoup worker on 127.0.0.1 and a free port, for tests of rooms and what drives them. */
export async function oneWorkerPool(logger: Logger): Promise<WorkerPool> {
  return WorkerPool.create({
    size: 1,
    workerBin: resolveWorkerBinary(null).path,
    logLevel: 'none',
    listenIp: '127.0.0.1',
    announcedAddress: null,
    firstPort: await freePortBlock(1),
    logger,
  });
}
