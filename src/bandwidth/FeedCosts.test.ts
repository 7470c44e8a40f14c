import t from 'tap';
import { averaged } from './FeedCosts.js';

const nominal = (spatial: number): number => [120, 350, 900][spatial] ?? 900;

t.test('a layer dynacast trickles keeps the price it had in full', (t) => {
  // Three layers measured in full for a while.
  let costs = averaged([[120], [350], [900]], undefined, nominal, null);
  t.same(costs, [[120], [350], [900]]);
  // Then nobody receives the top layer: it trickles at a sixth for ten readings.
  for (let i = 0; i < 10; i++) {
    costs = averaged([[120], [350], [150]], costs, nominal, 1);
  }
  t.equal(costs[2]?.[0], 900, 'priced at what it carries once received, not at its trickle');
  t.equal(costs[1]?.[0], 350, 'the layers sent in full go on being measured');

  // Without the publisher's state, the trickle would have been taken for its cost.
  let unaware = averaged([[120], [350], [900]], undefined, nominal, null);
  for (let i = 0; i < 10; i++) {
    unaware = averaged([[120], [350], [150]], unaware, nominal, null);
  }
  t.ok((unaware[2]?.[0] ?? 0) < 500, `measured as sent, it would fall (${unaware[2]?.[0]})`);
  t.end();
});

t.test('a layer trickling since before it was ever measured is priced at its nominal', (t) => {
  const costs = averaged([[120], [40], [150]], undefined, nominal, 0);
  t.same(costs, [[120], [350], [900]]);
  t.end();
});

t.test('a layer back in full is measured again, down slowly', (t) => {
  let costs = averaged([[120], [350], [900]], undefined, nominal, null);
  costs = averaged([[120], [350], [150]], costs, nominal, 1);
  // Told to send in full again: its encoder climbs back over a second or two.
  costs = averaged([[120], [350], [400]], costs, nominal, null);
  t.ok(
    (costs[2]?.[0] ?? 0) > 800,
    `one low reading moves it a tenth of the way (${costs[2]?.[0]})`,
  );
  t.end();
});
