import t from 'tap';
import { MAX_MARGIN_SHARE, OvershootMargin } from './OvershootMargin.js';

// A 10 Mbit/s link with 10 % headroom: 1 Mbit/s of bursts beyond the plan is the
// headroom's to hold; beyond that, the plan must leave room, and only for a while.
const limits = { linkKbps: 10_000, headroomPct: 10 };

/** A margin that saw the link carry `sent` against a plan of `planned`, a second apart. */
function after(planned: number, sent: number): { margin: OvershootMargin; kbps: number } {
  const margin = new OvershootMargin();
  margin.learn(0, limits, 0);
  margin.planned(planned);
  return { margin, kbps: margin.learn(sent, limits, 1000) };
}

t.test('a burst the headroom holds keeps nothing more free', (t) => {
  t.equal(after(8000, 8900).kbps, 0);
  t.end();
});

t.test('a burst beyond the headroom keeps that much more free, fading by half in ~20 s', (t) => {
  const { margin, kbps } = after(8000, 10_500);
  t.equal(kbps, 1500, 'the link carried 1.5 Mbit/s beyond plan and headroom');
  margin.planned(6500);
  t.ok(margin.learn(6500, limits, 2000) > 1400, 'still kept a second later');
  let now = 2000;
  let left = 0;
  while (now < 21_000) {
    now += 1000;
    margin.planned(6500);
    left = margin.learn(6500, limits, now);
  }
  t.ok(left > 600 && left < 900, `about half left after 20 s more (${Math.round(left)} kbit/s)`);
  t.end();
});

t.test('a step down is not taken for a burst: the link may carry the plan before it', (t) => {
  const margin = new OvershootMargin();
  margin.learn(0, limits, 0);
  margin.planned(9000);
  margin.learn(9000, limits, 1000);
  margin.planned(6000);
  t.equal(margin.learn(9000, limits, 2000), 0, 'the old plan still on the link a second on');
  t.end();
});

t.test('never more than a fifth of the link', (t) => {
  t.equal(after(8000, 30_000).kbps, limits.linkKbps * MAX_MARGIN_SHARE);
  t.end();
});
