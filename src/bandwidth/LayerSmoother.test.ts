import t from 'tap';
import type { Allocation, Layers } from './allocate.js';
import { LayerSmoother, compare } from './LayerSmoother.js';

const TOP: Layers = { spatial: 2, temporal: 2 };
const MID: Layers = { spatial: 1, temporal: 2 };
const plan = (
  layers: Layers | null,
  rank: Allocation['rank'] = 'stage',
  wish: Layers | null = null,
): Allocation[] => [{ consumerId: 'c', layers, rank, priority: 255, kbps: 0, wish }];

t.test('down after two ticks, up only after ten seconds and three ticks', (t) => {
  const s = new LayerSmoother();
  const applied: (Layers | null | undefined)[] = [];
  // One plan a second: top, a one-tick dip, top, then two ticks down, then top again.
  const plans = [TOP, MID, TOP, MID, MID, TOP, TOP, TOP, TOP, TOP, TOP, TOP, TOP, TOP, TOP, TOP];
  plans.forEach((p, second) => applied.push(s.next(plan(p), second * 1000).get('c')));
  t.same(applied[1], TOP, 'a one-tick dip is not followed');
  t.same(applied[3], TOP, 'the first tick of a lasting dip waits');
  t.same(applied[4], MID, 'the second steps down');
  const up = applied.findIndex((l, i) => i > 4 && compare(l ?? null, MID) > 0);
  t.equal(up, 14, `back up at the 14th second: 10 s after the step down (at 4 s)`);
  const changes = applied.filter(
    (l, i) => i > 0 && compare(l ?? null, applied[i - 1] ?? null) !== 0,
  );
  t.equal(changes.length, 2, 'two changes where the plans changed four times: no flapping');
  t.end();
});

t.test('paused is below every layer; a new consumer starts where it is planned', (t) => {
  t.ok(compare(null, { spatial: 0, temporal: 0 }) < 0, 'paused below the lowest layer');
  t.ok(
    compare({ spatial: 1, temporal: 0 }, { spatial: 0, temporal: 2 }) > 0,
    'a picture above a rate',
  );
  const s = new LayerSmoother();
  t.same(s.next(plan(MID), 0).get('c'), MID, 'a new consumer at its planned layer');
  t.equal(s.next([], 1000).size, 0, 'a closed consumer is forgotten');
  t.same(s.next(plan(TOP), 2000).get('c'), TOP, 'and starts afresh if it comes back');
  t.end();
});

t.test('a new speaker on the stage moves at once, and the old one leaves at once', (t) => {
  const s = new LayerSmoother();
  const low = { spatial: 0, temporal: 0 };
  s.next(plan(low, 'thumbnail'), 0);
  s.next(plan(TOP, 'thumbnail'), 500);
  t.same(s.next(plan(TOP, 'stage'), 1000).get('c'), TOP, 'up the tick it takes the stage');
  t.same(s.next(plan(low, 'thumbnail'), 2000).get('c'), low, 'down the tick it leaves it');
  t.end();
});

t.test('a page that enlarges a picture gets it at once, within the plan', (t) => {
  const s = new LayerSmoother();
  const low = { spatial: 0, temporal: 0 };
  // The plan stages the speaker while its page still shows it as a thumbnail (its wish
  // 0): planned at the thumbnail. A moment later the page puts it on its stage.
  s.next(plan(low, 'thumbnail', low), 0);
  t.same(s.next(plan(low, 'stage', low), 1000).get('c'), low, "staged, at the page's wish");
  t.same(
    s.next(plan(TOP, 'stage', TOP), 1200).get('c'),
    TOP,
    'the page asks for it large: up in the same tick, not three ticks later',
  );
  t.same(
    s.next(plan(MID, 'stage', TOP), 2200).get('c'),
    TOP,
    'a lower plan under the same wish waits its ticks as before',
  );
  t.end();
});

t.test('what makes room for a rise goes down in the same tick', (t) => {
  const s = new LayerSmoother();
  const low = { spatial: 0, temporal: 0 };
  const two = (old: Layers, rank: Allocation['rank'], next: Layers): Allocation[] => [
    { consumerId: 'thumb', layers: old, rank: 'thumbnail', priority: 100, kbps: 0, wish: null },
    { consumerId: 'speaker', layers: next, rank, priority: 255, kbps: 0, wish: null },
  ];
  s.next(two(MID, 'thumbnail', low), 0);
  const applied = s.next(two(low, 'stage', TOP), 1000);
  t.same(applied.get('speaker'), TOP, 'the new speaker up at once');
  t.same(applied.get('thumb'), low, 'and the thumbnail that made room down with it');
  const soon = new LayerSmoother();
  soon.next(plan(TOP), 0);
  soon.next(plan(MID), 1000);
  t.same(soon.next(plan(MID), 1100).get('c'), TOP, 'a plan 100 ms later does not count');
  t.same(soon.next(plan(MID), 2000).get('c'), MID, 'the next second’s does');
  t.end();
});

t.test('far over the budget, a step down goes at once', (t) => {
  const s = new LayerSmoother();
  s.next(plan(TOP), 0);
  t.same(s.next(plan(MID), 1000).get('c'), TOP, 'a first tick over waits, as a dip would');
  const fresh = new LayerSmoother();
  fresh.next(plan(TOP), 0);
  t.same(fresh.next(plan(MID), 1000, true).get('c'), MID, 'an overrun does not wait');
  t.end();
});
