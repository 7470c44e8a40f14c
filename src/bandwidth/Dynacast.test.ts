import t from 'tap';
import { Dynacast, type PublisherNeeds, RETELL_AFTER_MS, STOP_AFTER_MS } from './Dynacast.js';

const camera = (needed: number[], keepAll = false, producerId = 'cam'): PublisherNeeds => ({
  producerId,
  layers: 3,
  needed: new Set(needed),
  keepAll,
});

t.test('layers nobody receives stop after a few seconds, and start at once', (t) => {
  const d = new Dynacast();
  // Everyone takes the thumbnail: the medium and large layers go unneeded.
  const told: [number, number | undefined][] = [];
  for (let ms = 0; ms <= STOP_AFTER_MS + 1000; ms += 1000) {
    told.push([ms, d.update([camera([0])], ms).get('cam')]);
  }
  t.same(
    told.filter(([, max]) => max !== undefined),
    [[STOP_AFTER_MS, 0]],
    'told once, when the hold ran out: the thumbnail only',
  );
  t.equal(d.maxSpatialLayer('cam'), 0);

  // A receiver shows it large: every layer up to the top starts at the same tick.
  const at = STOP_AFTER_MS + 2000;
  t.equal(d.update([camera([0, 2])], at).get('cam'), 2, 'up to the top layer again');
  t.equal(d.update([camera([0, 2])], at + 1000).size, 0, 'and nothing more to tell');
  t.end();
});

t.test('the layers under the highest needed stay on: a held-back top falls one step', (t) => {
  const d = new Dynacast();
  // The recorder takes the top layer; the pages take thumbnails: the medium stays on.
  for (let ms = 0; ms <= 20_000; ms += 1000) {
    d.update([camera([0, 2])], ms);
  }
  t.equal(d.maxSpatialLayer('cam'), null, 'never told: it sends every layer');
  t.end();
});

t.test('what a blip of need does not do: flap', (t) => {
  const d = new Dynacast();
  let changes = 0;
  // The medium layer is wanted one second in three: it never goes unneeded long enough.
  for (let s = 0; s < 9; s++) {
    changes += d.update([camera(s % 3 === 0 ? [1] : [0])], s * 1000).size;
  }
  t.equal(d.maxSpatialLayer('cam'), 1, 'the medium layer stays on, the top is off');
  t.equal(changes, 1, 'one change');
  t.end();
});

t.test('what was told is told again now and then, in case it did not take', (t) => {
  const d = new Dynacast();
  const at: number[] = [];
  for (let ms = 0; ms <= 30_000; ms += 1000) {
    if (d.update([camera([0])], ms).size > 0) {
      at.push(ms);
    }
  }
  t.same(
    at,
    [STOP_AFTER_MS, STOP_AFTER_MS + RETELL_AFTER_MS, STOP_AFTER_MS + 2 * RETELL_AFTER_MS],
    'told at the stop, then every ten seconds',
  );
  t.end();
});

t.test('the stage, recent speakers and the lowest layer are never stopped', (t) => {
  const d = new Dynacast();
  for (let ms = 0; ms <= 20_000; ms += 1000) {
    d.update([camera([], true, 'speaker'), camera([], false, 'quiet')], ms);
  }
  t.equal(d.maxSpatialLayer('speaker'), null, 'the speaker sends every layer');
  t.equal(d.maxSpatialLayer('quiet'), 0, 'nobody receives it: its thumbnail stays');
  t.end();
});

t.test('a producer gone is forgotten; a new one starts sending everything', (t) => {
  const d = new Dynacast();
  for (let ms = 0; ms <= 10_000; ms += 1000) {
    d.update([camera([0])], ms);
  }
  d.update([], 11_000);
  t.equal(d.maxSpatialLayer('cam'), null, 'forgotten');
  t.equal(d.update([camera([0])], 12_000).size, 0, 'its successor sends all, nothing to tell');
  t.end();
});
