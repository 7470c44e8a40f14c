import type { Logger } from '../../common/logger.js';
import { Session } from '../../src/sessions/Session.js';
import { Room } from '../../src/sfu/Room.js';
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

/** A room of session `s` on `pool`, as the tests of what drives a room start from. */
export function roomOn(pool: WorkerPool, logger: Logger): Promise<Room> {
  return Room.create({
    session: new Session('s', { maxDelegatePoints: 5 }),
    pool,
    logger,
    reconnectGraceMs: 60_000,
  });
}
