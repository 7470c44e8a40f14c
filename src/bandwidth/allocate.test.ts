import t from 'tap';
import { type Feed, type Layers, type Subscription, allocate } from './allocate.js';

// A camera's three simulcast layers, each with three frame rates (kbit/s, each
// including the lower frame rates), as Chromium sends 1280×720 VP8: 0.15 / 0.5 / 1.5 Mbit/s.
const CAMERA = [
  [60, 100, 150],
  [200, 350, 500],
  [700, 1100, 1500],
];
const SCREEN = [[1200]];

interface Room {
  points: string[];
  screenOf?: string;
  speaker?: string;
  spotlight?: string;
  /** Points in the order they last spoke, most recent first. */
  spoke?: string[];
  /** Of those who spoke, who did recently (default: all of them). */
  recent?: string[];
  wish?: (receiver: string, sender: string) => Layers | null;
  lan?: string[];
}

function room(r: Room, linkBudgetKbps: number, downlinkKbps = 4500) {
  const feeds: Feed[] = r.points.map((p) => ({
    producerId: `cam-${p}`,
    pointId: p,
    source: 'camera',
    costs: CAMERA,
  }));
  if (r.screenOf) {
    feeds.push({ producerId: 'screen', pointId: r.screenOf, source: 'screen', costs: SCREEN });
  }
  const subscriptions: Subscription[] = [];
  for (const receiver of r.points) {
    for (const feed of feeds.filter((f) => f.pointId !== receiver)) {
      subscriptions.push({
        consumerId: `${receiver}<${feed.producerId}`,
        receiverPointId: receiver,
        producerId: feed.producerId,
        wish: r.wish ? r.wish(receiver, feed.pointId) : null,
      });
    }
  }
  const now = 1_000_000;
  return allocate({
    linkBudgetKbps,
    feeds,
    receivers: r.points.map((p) => ({
      pointId: p,
      crossesLink: !(r.lan ?? ['central']).includes(p),
      downlinkKbps: downlinkKbps,
    })),
    subscriptions,
    stage: {
      speaker: r.speaker ?? null,
      spotlight: r.spotlight ?? null,
      centralPointId: 'central',
      lastSpokeAt: new Map((r.spoke ?? []).map((p, i) => [p, now - i * 1000])),
      recentSpeakers: new Set(r.recent ?? r.spoke ?? []),
    },
  });
}

const ELEVEN = ['central', ...Array.from({ length: 10 }, (_, i) => `d${i}`)];
const layersOf = (plan: ReturnType<typeof allocate>, consumerId: string) =>
  plan.allocations.find((a) => a.consumerId === consumerId)?.layers;

t.test('the issue’s case: a speaker, a shared document, nine thumbnails, 11 points', (t) => {
  const r: Room = {
    points: ELEVEN,
    speaker: 'd3',
    screenOf: 'd7',
    spoke: ['d3', 'd1', 'central', 'd5'],
  };
  const free = room(r, 1e9, 1e9);
  t.ok(free.linkKbps > 30_000, `unbounded it would send ${free.linkKbps} kbit/s over the link`);

  const plan = room(r, 27_000);
  t.ok(plan.linkKbps <= 27_000, `kept inside the link: ${plan.linkKbps} kbit/s`);
  for (const [point, used] of plan.perReceiverKbps) {
    t.ok(used <= 4500, `${point} receives ${used} kbit/s, inside its downlink`);
  }
  const speaker = ELEVEN.filter((p) => p !== 'd3').map((r) => layersOf(plan, `${r}<cam-d3`));
  t.ok(
    speaker.every(
      (l) => l && l.spatial === speaker[0]?.spatial && l.temporal === speaker[0].temporal,
    ),
    `every point sees the speaker alike (${JSON.stringify(speaker[0])}): one keyframe per switch`,
  );
  t.ok((speaker[0]?.spatial ?? 0) >= 1, 'larger than a thumbnail');
  const wider = room(r, 40_000);
  for (const receiver of ELEVEN.filter((p) => p !== 'd3')) {
    t.same(
      layersOf(wider, `${receiver}<cam-d3`),
      { spatial: 2, temporal: 2 },
      `on a 40 Mbit/s link, ${receiver} sees the speaker at the top layer`,
    );
  }
  for (const receiver of ELEVEN.filter((p) => p !== 'd7')) {
    t.same(
      layersOf(plan, `${receiver}<screen`),
      { spatial: 0, temporal: 0 },
      `${receiver}: the document`,
    );
  }
  t.equal(
    plan.allocations.filter((a) => a.layers === null).length,
    0,
    'nobody loses their picture',
  );
  t.end();
});

t.test(
  'a narrow link: frame rate goes before pictures, the least recent lose theirs first',
  (t) => {
    const r: Room = { points: ELEVEN, speaker: 'd3', spoke: ['d3', 'd1', 'd2', 'd0'] };
    // Every thumbnail at its lowest layer and full rate costs 150; at its lowest rate 60.
    const roomy = room(r, 10_000);
    t.ok(roomy.linkKbps <= 10_000, `inside 10 Mbit/s: ${roomy.linkKbps}`);
    const thumbs = roomy.allocations.filter((a) => a.rank === 'thumbnail');
    t.ok(
      thumbs.every((a) => a.layers !== null),
      'at 10 Mbit/s every thumbnail keeps a picture',
    );
    t.ok(
      thumbs.some((a) => a.layers?.temporal === 0),
      'some thumbnails run at their lowest frame rate',
    );

    const tight = room(r, 4000);
    t.ok(tight.linkKbps <= 4000, `inside 4 Mbit/s: ${tight.linkKbps}`);
    const paused = tight.allocations.filter((a) => a.layers === null);
    t.ok(paused.length > 0, `${paused.length} pictures paused`);
    t.ok(
      paused.every((a) => a.rank === 'thumbnail'),
      'only thumbnails, never the stage or the central point',
    );
    t.ok(
      paused.every((a) => !/<cam-(d3|d1|d2)$/.test(a.consumerId)),
      'the recent speakers keep their pictures',
    );
    const stillShown = (sender: string) =>
      tight.allocations.filter((a) => a.consumerId.endsWith(`<cam-${sender}`) && a.layers).length;
    t.ok(stillShown('d0') >= stillShown('d9'), 'd0 (spoke) keeps more than d9 (never spoke)');
    t.end();
  },
);

t.test('the page’s wish is a ceiling: a hostile page cannot raise its share', (t) => {
  const r: Room = {
    points: ELEVEN,
    speaker: 'd3',
    // Every page asks for everything at the top.
    wish: () => ({ spatial: 2, temporal: 2 }),
  };
  const plan = room(r, 27_000);
  t.ok(plan.linkKbps <= 27_000, `still inside the link: ${plan.linkKbps}`);
  for (const [point, used] of plan.perReceiverKbps) {
    t.ok(used <= 4500, `${point}: ${used} kbit/s`);
  }
  const modest = room(
    { ...r, wish: (_, sender) => (sender === 'd3' ? { spatial: 1, temporal: 2 } : null) },
    27_000,
  );
  t.same(
    layersOf(modest, 'd0<cam-d3'),
    { spatial: 1, temporal: 2 },
    'a page that asks for less gets less (it shows the speaker small)',
  );
  t.end();
});

t.test('the spotlight takes the stage; the central point comes next', (t) => {
  const plan = room({ points: ELEVEN, speaker: 'd3', spotlight: 'd8' }, 24_000);
  t.ok(plan.linkKbps <= 24_000, `inside 24 Mbit/s: ${plan.linkKbps}`);
  const spot = plan.allocations.find((a) => a.consumerId === 'd0<cam-d8');
  t.equal(spot?.rank, 'stage', 'the spotlight on the stage');
  t.equal(spot?.priority, 255, 'mediasoup keeps its share first inside a congested transport');
  t.same(spot?.layers, { spatial: 2, temporal: 2 }, 'the spotlight at the top, before the speaker');
  const speaker = plan.allocations.find((a) => a.consumerId === 'd0<cam-d3');
  t.ok((speaker?.kbps ?? 0) < (spot?.kbps ?? 0), 'the speaker with what is left');
  const central = plan.allocations.find((a) => a.consumerId === 'd0<cam-central');
  t.equal(central?.rank, 'central', 'the central point ranked next');
  const thumbs = plan.allocations.filter(
    (a) => a.consumerId.startsWith('d0<') && a.rank === 'thumbnail',
  );
  t.ok(
    thumbs.every((a) => a.kbps < (central?.kbps ?? 0)),
    `the central point (${central?.kbps} kbit/s) above every thumbnail (${thumbs.map((a) => a.kbps).join(', ')})`,
  );
  t.end();
});

t.test('inside a congested transport mediasoup keeps recent speakers’ thumbnails first', (t) => {
  const priorities = (spoke: string[]) => {
    const plan = room(
      { points: ELEVEN, speaker: 'd3', spoke: ['d3', ...spoke], recent: ['d3', 'd1', 'd2'] },
      27_000,
    );
    const of = (sender: string) =>
      plan.allocations.find((a) => a.consumerId === `d0<cam-${sender}`)?.priority ?? 0;
    return { d1: of('d1'), d2: of('d2'), d5: of('d5'), d7: of('d7') };
  };
  const p = priorities(['d1', 'd2', 'd5']);
  t.ok(p.d1 > p.d5, `a recent speaker (${p.d1}) above one that spoke long ago (${p.d5})`);
  t.ok(p.d5 > p.d7, `one that spoke long ago (${p.d5}) above one that never did (${p.d7})`);
  t.ok(p.d7 >= 1 && p.d1 < 200, 'every thumbnail below the central point, none left out (0)');
  t.same(
    priorities(['d2', 'd1', 'd5']),
    p,
    'who of the recent speakers spoke last changes no priority: no request to the worker',
  );
  t.end();
});

t.test('what does not cross the link is not counted against it', (t) => {
  const everyone = room({ points: ['central', 'd0', 'd1'], speaker: 'd0' }, 1e9, 1e9);
  const lan = room(
    { points: ['central', 'd0', 'd1'], speaker: 'd0', lan: ['central', 'd1'] },
    1e9,
    1e9,
  );
  t.ok(lan.linkKbps < everyone.linkKbps, `${lan.linkKbps} < ${everyone.linkKbps}`);
  t.equal(lan.linkKbps, lan.perReceiverKbps.get('d0'), 'only d0’s share crosses');
  t.end();
});

t.test('a receiver’s own estimate bounds it, alone', (t) => {
  const plan = allocate({
    linkBudgetKbps: 27_000,
    feeds: [{ producerId: 'p', pointId: 'central', source: 'camera', costs: CAMERA }],
    receivers: [
      { pointId: 'slow', crossesLink: true, downlinkKbps: 300 },
      { pointId: 'fast', crossesLink: true, downlinkKbps: 4500 },
    ],
    subscriptions: [
      { consumerId: 'slow', receiverPointId: 'slow', producerId: 'p', wish: null },
      { consumerId: 'fast', receiverPointId: 'fast', producerId: 'p', wish: null },
    ],
    stage: {
      speaker: null,
      spotlight: null,
      centralPointId: 'central',
      lastSpokeAt: new Map(),
      recentSpeakers: new Set(),
    },
  });
  t.same(
    layersOf(plan, 'slow'),
    { spatial: 1, temporal: 0 },
    'the slow one the middle picture at its lowest frame rate (200 of its 300)',
  );
  t.same(layersOf(plan, 'fast'), { spatial: 2, temporal: 2 }, 'the fast one the top');
  t.end();
});
