import t from 'tap';
import { type Falling, PendingFalls } from './PendingFalls.js';

/** A lowered consumer as mediasoup shows it: what it forwards now. */
function consumer(spatialLayer: number, temporalLayer?: number) {
  const c: { -readonly [K in keyof Falling]: Falling[K] } = {
    producerId: 'p',
    closed: false,
    paused: false,
    currentLayers: { spatialLayer, temporalLayer },
  };
  return c;
}

const toThumbnail = { spatial: 0, temporal: 0 };
const TOP = { spatial: 2, temporal: 2 };
/** Consumers lowered from the top layer to the thumbnail. */
const toThumbnails = (...consumers: Falling[]) =>
  consumers.map((consumer) => ({ consumer, from: TOP, to: toThumbnail }));

t.test('rises wait until every fall forwards its lower layer', (t) => {
  const pending = new PendingFalls(400);
  t.ok(pending.switched(0), 'nothing sent: nothing to wait for');
  const speaker = consumer(2, 2);
  const strip = consumer(1, 2);
  pending.sent(toThumbnails(speaker, strip), 1000);
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
  pending.sent([{ consumer: consumer(2), from: TOP, to: toThumbnail }], 1000);
  t.notOk(pending.switched(1399), 'its keyframe has not come');
  t.ok(pending.switched(1400), 'its time is up');
  t.end();
});

t.test('falls sent at a later tick extend the wait; earlier ones still count', (t) => {
  const pending = new PendingFalls(400);
  const first = consumer(2);
  const second = consumer(1);
  pending.sent([{ consumer: first, from: TOP, to: toThumbnail }], 1000);
  pending.sent([{ consumer: second, from: TOP, to: toThumbnail }], 1300);
  second.currentLayers = { spatialLayer: 0 };
  t.notOk(pending.switched(1500), 'the first has not switched, and the wait runs from 1300');
  t.ok(pending.switched(1700));
  t.end();
});

t.test('a consumer paused, closed or not forwarding at all is down already', (t) => {
  for (const [what, c] of [
    ['paused', { ...consumer(2), paused: true }],
    ['closed', { ...consumer(2), closed: true }],
    ['not forwarding', { ...consumer(2), currentLayers: undefined }],
  ] as const) {
    const pending = new PendingFalls(400);
    pending.sent([{ consumer: c, from: TOP, to: null }], 0);
    t.ok(pending.switched(1), what);
  }
  const pending = new PendingFalls(400);
  pending.sent([{ consumer: consumer(0), from: TOP, to: null }], 0);
  t.notOk(pending.switched(1), 'one told to pause that still forwards is not');
  t.end();
});

t.test('what the falls still carry: their old layers until each has switched', (t) => {
  const pending = new PendingFalls(400);
  // 900 kbit/s at the top layer, 120 at the thumbnail.
  const cost = (_producerId: string, layers: { spatial: number } | null): number =>
    layers === null ? 0 : layers.spatial === 2 ? 900 : 120;
  t.equal(pending.carriedKbps(0, cost), 0, 'nothing sent: nothing carried');
  const a = consumer(2, 2);
  const b = consumer(2, 2);
  pending.sent(toThumbnails(a, b), 1000);
  t.equal(pending.carriedKbps(1040, cost), 1560, 'both still send 780 kbit/s over their plan');
  a.currentLayers = { spatialLayer: 0, temporalLayer: 0 };
  t.equal(pending.carriedKbps(1080, cost), 780, 'one has switched');
  t.equal(pending.carriedKbps(1400, cost), 0, 'their time is up: counted as switched');
  t.end();
});
