import t from 'tap';
import { shareLink } from './shareLink.js';

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

t.test('sessions without a share of their own split the link evenly', (t) => {
  const shares = shareLink(
    30_000,
    new Map([
      ['a', null],
      ['b', null],
      ['c', null],
    ]),
  );
  t.same([...shares.values()], [10_000, 10_000, 10_000]);
  t.end();
});

t.test('a capped session keeps its cap; the others share what it leaves', (t) => {
  const shares = shareLink(
    30_000,
    new Map([
      ['province', 8000],
      ['a', null],
      ['b', null],
    ]),
  );
  t.equal(shares.get('province'), 8000, 'the province session gets its 8 Mbit/s');
  t.equal(shares.get('a'), 11_000, 'the others split the remaining 22');
  t.equal(shares.get('b'), 11_000);
  t.end();
});

t.test('caps that add up past the link are cut to fit it, never past it', (t) => {
  const shares = shareLink(
    30_000,
    new Map([
      ['a', 25_000],
      ['b', 25_000],
      ['c', 2000],
    ]),
  );
  t.equal(shares.get('c'), 2000, 'the small cap is met');
  t.equal(shares.get('a'), 14_000, 'the large ones split the rest');
  t.equal(shares.get('b'), 14_000);
  t.ok(sum(shares) <= 30_000, `the shares add up to ${sum(shares)}, inside the link`);
  t.end();
});

t.test('a cap above the link is worth the link, no more', (t) => {
  t.equal(shareLink(30_000, new Map([['alone', 50_000]])).get('alone'), 30_000);
  t.equal(shareLink(30_000, new Map([['alone', 12_000]])).get('alone'), 12_000, 'below: its own');
  t.end();
});
