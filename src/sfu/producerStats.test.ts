import t from 'tap';
import { createLogger } from '../../common/logger.js';
import { pointPeer } from '../../test/helpers/session.js';
import { sendingCamera } from '../../test/helpers/simulcastRtpSender.js';
import { oneWorkerPool, roomOn } from '../../test/helpers/workerPool.js';
import { producerStats } from './producerStats.js';

// The recorded-layer fallback, the governor and the live view read the same cameras:
// one reading serves those that can take it that old, a fresher one is asked for
// otherwise. A real worker and a camera whose bytes keep coming.
const logger = createLogger('silent');
const pool = await oneWorkerPool(logger);
t.teardown(() => pool.close());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bytesOf = (stats: { byteCount: number }[] | null): number =>
  (stats ?? []).reduce((sum, s) => sum + s.byteCount, 0);

const room = await roomOn(pool, logger);
t.teardown(() => room.close());
const hue = pointPeer('s', 'hue');
await room.join(hue, await room.rtpCapabilities());
const { producer, sender } = await sendingCamera(room, hue);
t.teardown(() => sender.close());
await sleep(500);

t.test('a reading young enough is shared, an older one is read again', async (t) => {
  const now = Date.now();
  const first = producerStats(producer, 500, now);
  const second = producerStats(producer, 500, now + 400);
  t.equal(second, first, 'a reader that takes it 400 ms old gets the same reading');
  const read = await first;
  t.equal(read?.length, 3, 'one stat per simulcast layer');
  await sleep(300);
  const fresh = await producerStats(producer, 0);
  t.not(fresh, read, 'a reader that wants it fresh gets a new reading');
  t.ok(bytesOf(fresh) > bytesOf(read), 'with the bytes that came since');
});

t.test('a closed producer reads as null, not an error', async (t) => {
  producer.close();
  t.equal(await producerStats(producer, 0), null);
});
