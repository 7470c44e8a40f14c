import t, { type Test } from 'tap';
import type { types } from 'mediasoup';
import { createLogger } from '../../common/logger.js';
import { BandwidthGovernor, type GovernedRoom } from './BandwidthGovernor.js';
import { pointPeer } from '../../test/helpers/session.js';
import { oneWorkerPool, roomOn } from '../../test/helpers/workerPool.js';

// A new picture under the governor: held until a tick has fitted it in (the tick it
// asks for, not the next second's), never flowing at whatever layer it starts on.
const logger = createLogger('silent');
const pool = await oneWorkerPool(logger);
t.teardown(() => pool.close());

/**
 * A session where the central point sends a simulcast camera (120/350/900 kbit/s
 * encodings) and a delegate is about to receive it; a governor that never ticks by
 * itself (an hour between ticks), its share of the link `linkMbps`.
 */
async function setUp(t: Test, linkMbps: number) {
  const room = await roomOn(pool, logger);
  const governed: GovernedRoom = { id: 's', room, linkMbps };
  const governor = new BandwidthGovernor(
    {
      enabled: true,
      linkMbps: 30,
      headroomPct: 10,
      delegateDownlinkMbps: 5,
      centralOnLan: true,
      dynacast: false,
    },
    () => [governed],
    logger,
    3_600_000,
  );
  t.teardown(() => {
    governor.close();
    room.close();
  });
  const caps = await room.rtpCapabilities();
  const central = pointPeer('s', 'central', 'central');
  const hue = pointPeer('s', 'hue');
  await room.join(central, caps);
  await room.join(hue, caps);
  const send = await room.media.createPlainTransport(central, 'send');
  const { id: producerId } = await room.produce(central, {
    transportId: send.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [120_000, 350_000, 900_000].map((maxBitrate, i) => ({
        ssrc: 1111 + i,
        maxBitrate,
      })),
    },
  });
  // The governor takes the session in hand before anyone receives.
  await governor.tick();
  const recv = await room.media.createPlainTransport(hue, 'recv');
  await recv.connect({ ip: '127.0.0.1', port: 9 });
  /** The delegate's page takes the camera and resumes it at once, as pages do. */
  const receive = async (): Promise<types.Consumer> => {
    const { id } = await room.media.consume(hue, recv.id, producerId);
    const consumer = hue.consumers.get(id) as types.Consumer;
    await room.media.resumeConsumer(hue, id);
    return consumer;
  };
  return { governor, receive };
}

async function until(ms: number, ready: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

t.test('a new picture that fits flows once the tick it asked for has fitted it', async (t) => {
  const { governor, receive } = await setUp(t, 30);
  const consumer = await receive();
  t.ok(consumer.paused, 'held after the page resumed it: not at the layer it starts on');
  t.ok(
    await until(3000, () => !consumer.paused),
    'flowing without waiting for a periodic tick (there is none within the hour)',
  );
  const planned = governor.status('s')?.consumers.find((c) => c.consumerId === consumer.id);
  t.same(planned?.layers?.spatial, 2, 'at the layer the plan gave it (the large one fits)');
  t.equal(consumer.preferredLayers?.spatialLayer, 2, 'and mediasoup was told that layer');
});

t.test('a new picture that does not fit is never sent, not even for a moment', async (t) => {
  // 0.1 Mbit/s: not even the 120 kbit/s thumbnail fits.
  const { governor, receive } = await setUp(t, 0.1);
  let resumed = 0;
  const consumer = await receive();
  consumer.observer.on('resume', () => resumed++);
  t.ok(
    await until(3000, () =>
      (governor.status('s')?.consumers ?? []).some((c) => c.consumerId === consumer.id),
    ),
    'the tick it asked for planned it',
  );
  const planned = governor.status('s')?.consumers.find((c) => c.consumerId === consumer.id);
  t.equal(planned?.layers, null, 'planned paused');
  t.ok(consumer.paused, 'still paused');
  t.equal(resumed, 0, 'never resumed in between');
});

t.test('a governor that does not answer keeps no picture out of sight for long', async (t) => {
  const { governor, receive } = await setUp(t, 30);
  // Stopped after taking the session in hand: the tick a new picture asks for never comes.
  governor.close();
  const consumer = await receive();
  t.ok(consumer.paused, 'held at first');
  t.ok(await until(6000, () => !consumer.paused), 'flowing after the hold (3 s), ungoverned');
});
