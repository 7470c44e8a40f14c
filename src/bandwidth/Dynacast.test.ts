import t from 'tap';
import { Dynacast, type PublisherNeeds, STOP_AFTER_MS } from './Dynacast.js';

const camera = (needed: number[], keepAll = false, producerId = 'cam'): PublisherNeeds => ({
  producerId,
  layers: 3,
  needed: new Set(needed),
  keepAll,
});

t.test('a layer nobody receives stops after a few seconds, and starts at once', (t) => {
  const d = new Dynacast();
  // Everyone takes the thumbnail: the medium and large layers go unneeded.
  const told: [number, boolean[] | undefined][] = [];
  for (let ms = 0; ms <= STOP_AFTER_MS + 1000; ms += 1000) {
    told.push([ms, d.update([camera([0])], ms).get('cam')]);
  }
  const stopped = told.filter(([, active]) => active);
  t.same(stopped, [[STOP_AFTER_MS, [true, false, false]]], 'told once, when the hold ran out');
  t.same(d.sending('cam'), [true, false, false], 'only the thumbnail is sent');

  // A receiver shows it large: the top layer starts at the same tick.
  const at = STOP_AFTER_MS + 2000;
  t.same(d.update([camera([0, 2])], at).get('cam'), [true, false, true], 'the top layer back');
  t.equal(d.update([camera([0, 2])], at + 1000).size, 0, 'and nothing more to tell');
  t.end();
});

t.test('what a blip of need does not do: flap', (t) => {
  const d = new Dynacast();
  let changes = 0;
  // The medium layer is wanted one second in three: it never goes unneeded long enough.
  for (let s = 0; s < 30; s++) {
    changes += d.update([camera(s % 3 === 0 ? [0, 1] : [0])], s * 1000).size;
  }
  t.same(d.sending('cam'), [true, true, false], 'the medium layer stays on, the top is off');
  t.equal(changes, 1, 'one change in 30 s');
  t.end();
});

t.test('the stage, recent speakers and the lowest layer are never stopped', (t) => {
  const d = new Dynacast();
  for (let ms = 0; ms <= 20_000; ms += 1000) {
    d.update([camera([], true, 'speaker'), camera([], false, 'quiet')], ms);
  }
  t.same(d.sending('speaker'), [true, true, true], 'the speaker sends every layer');
  t.same(d.sending('quiet'), [true, false, false], 'nobody receives it: its thumbnail stays');
  t.end();
});

t.test('a producer gone is forgotten; a new one starts sending everything', (t) => {
  const d = new Dynacast();
  for (let ms = 0; ms <= 10_000; ms += 1000) {
    d.update([camera([0])], ms);
  }
  d.update([], 11_000);
  t.equal(d.sending('cam'), null, 'forgotten');
  t.equal(d.update([camera([0])], 12_000).size, 0, 'its successor sends all, nothing to tell');
  t.end();
});
