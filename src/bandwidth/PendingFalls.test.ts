import t from 'tap';
import { type Falling, PendingFalls } from './PendingFalls.js';

/** A lowered consumer as mediasoup shows it: what it forwards now. */
function consumer(spatialLayer: number, temporalLayer?: number) {
  const c: { -readonly [K in keyof Falling]: Falling[K] } = {
    closed: false,
    paused: false,
    currentLayers: { spatialLayer, temporalLayer },
  };
  return c;
}

const toThumbnail = { spatial: 0, temporal: 0 };

t.test('rises wait until every fall forwards its lower layer', (t) => {
  const pending = new PendingFalls(400);
  t.ok(pending.switched(0), 'nothing sent: nothing to wait for');
  const speaker = consumer(2, 2);
  const strip = consumer(1, 2);
  pending.sent(
    [
      { consumer: speaker, to: toThumbnail },
      { consumer: strip, to: toThumbnail },
    ],
    1000,
  );
  t.notOk(pending.switched(1040), 'both still forward their higher layers');
  speaker.currentLayers = { spatialLayer: 0, temporalLayer: 0 };
  t.notOk(pending.switched(1080), 'one has switched, the other not yet');
  strip.currentLayers = { spatialLayer: 0, temporalLayer: 2 };
  t.notOk(pending.switched(1120), 'the right layer at a higher frame rate is not down yet');
  strip.currentLayers = { spatialLayer: 0, temporalLayer: 0 };
  t.ok(pending.switched(1160), 'both down: the rises go');
  t.ok(pending.switched(1161), 'and nothing is left to wait for');
  t.end();
});

t.test('a fall that never switches holds the rises only so long', (t) => {
  const pending = new PendingFalls(400);
  pending.sent([{ consumer: consumer(2), to: toThumbnail }], 1000);
  t.notOk(pending.switched(1399), 'its keyframe has not come');
  t.ok(pending.switched(1400), 'its time is up');
  t.end();
});

t.test('falls sent at a later tick extend the wait; earlier ones still count', (t) => {
  const pending = new PendingFalls(400);
  const first = consumer(2);
  const second = consumer(1);
  pending.sent([{ consumer: first, to: toThumbnail }], 1000);
  pending.sent([{ consumer: second, to: toThumbnail }], 1300);
  second.currentLayers = { spatialLayer: 0 };
  t.notOk(pending.switched(1500), 'the first has not switched, and the wait runs from 1300');
  t.ok(pending.switched(1700));
  t.end();
});

t.test('a consumer paused, closed or not forwarding at all is down already', (t) => {
  for (const [what, c] of [
    ['paused', { ...consumer(2), paused: true }],
    ['closed', { ...consumer(2), closed: true }],
    ['not forwarding', { closed: false, paused: false, currentLayers: undefined }],
  ] as const) {
    const pending = new PendingFalls(400);
    pending.sent([{ consumer: c, to: null }], 0);
    t.ok(pending.switched(1), what);
  }
  const pending = new PendingFalls(400);
  pending.sent([{ consumer: consumer(0), to: null }], 0);
  t.notOk(pending.switched(1), 'one told to pause that still forwards is not');
  t.end();
});
