import t from 'tap';
import { createLogger } from '../common/logger.js';
import { freePortBlock } from '../test/helpers/ports.js';
import { WorkerPool } from './WorkerPool.js';
import { resolveWorkerBinary } from './workerBinary.js';

const workerBin = resolveWorkerBinary(null).path;

async function makePool(size: number): Promise<WorkerPool> {
  return WorkerPool.create({
    size,
    workerBin,
    logLevel: 'warn',
    listenIp: '127.0.0.1',
    announcedAddress: null,
    firstPort: await freePortBlock(size),
    logger: createLogger('silent'),
  });
}

t.test('a dead worker is replaced in its slot and observers are told', async (t) => {
  const pool = await makePool(2);
  t.teardown(() => pool.close());
  const [first] = pool.workers;
  t.ok(first);
  const died = new Promise<[number, number]>((resolve) =>
    pool.observer.once('workerdied', (slot, pid) => resolve([slot, pid])),
  );
  const respawned = new Promise<[number, number]>((resolve) =>
    pool.observer.once('workerrespawned', (slot, pid) => resolve([slot, pid])),
  );
  process.kill(first!.worker.pid, 'SIGKILL');
  t.same(await died, [0, first!.worker.pid]);
  const [slot, newPid] = await respawned;
  t.equal(slot, 0);
  t.not(newPid, first!.worker.pid);
  const health = pool.health();
  t.equal(health.alive, 2);
  t.equal(health.restarts, 1);
  const replacement = pool.workers[0];
  t.ok(replacement);
  const router = await replacement!.worker.createRouter({
    mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
  });
  const transport = await router.createWebRtcTransport({ webRtcServer: replacement!.webRtcServer });
  t.equal(
    transport.iceCandidates[0]?.port,
    health.workers[0]?.port,
    'the replacement serves transports on the slot port',
  );
});

t.test('close() is idempotent and ends every worker', async (t) => {
  const pool = await makePool(2);
  const workers = pool.workers.map((w) => w.worker);
  let closes = 0;
  pool.observer.on('close', () => closes++);
  pool.close();
  pool.close();
  t.equal(closes, 1);
  t.ok(pool.closed);
  t.ok(workers.every((w) => w.closed));
  t.equal(pool.health().alive, 0);
});

t.test('a pool whose port is taken fails to start and leaves nothing running', async (t) => {
  const pool = await makePool(1);
  t.teardown(() => pool.close());
  const port = pool.health().workers[0]?.port as number;
  await t.rejects(
    WorkerPool.create({
      size: 1,
      workerBin,
      logLevel: 'none',
      listenIp: '127.0.0.1',
      announcedAddress: null,
      firstPort: port,
      logger: createLogger('silent'),
    }),
  );
});
