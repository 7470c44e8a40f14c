/**
 * One tick's plan of who receives which layer of whose video, inside the central
 * point's link and each receiver's downlink. Pure: the governor feeds it what mediasoup
 * measured and applies what it returns. Audio is not its business: it is never counted
 * against a budget it could lose, only subtracted as headroom beforehand.
 *
 * The order, after the peers' allocators (Jitsi's BandwidthAllocator, LiveKit's
 * StreamAllocator) but against a link total none of them keeps:
 *  1. every video its lowest layer at its lowest frame rate, most important first, so
 *     when even that does not fit, the least recent speakers lose video first;
 *  2. the stage (spotlight, shared screen, speaker) at the highest layer that fits;
 *  3. the central point, where the citizens sit, likewise;
 *  4. thumbnails their full frame rate, then larger layers where asked.
 */

import type { BandwidthStatus } from '../../protocol/bandwidth.js';

export interface Layers {
  spatial: number;
  temporal: number;
}

/** A video producer, and what each of its layers costs to forward to one receiver. */
export interface Feed {
  producerId: string;
  pointId: string;
  source: 'camera' | 'screen';
  /**
   * kbit/s by [spatial][temporal], each including the lower temporal layers of that
   * spatial layer (a simulcast receiver gets one encoding). A layer not sent is absent.
   */
  costs: number[][];
}

export interface Receiver {
  pointId: string;
  /** Whether what it receives crosses the central point's link (not on the server's LAN). */
  crossesLink: boolean;
  /** What it may receive, kbit/s: its downlink less headroom, or its own estimate if lower. */
  downlinkKbps: number;
}

/** One receiver's video consumer of one feed. */
export interface Subscription {
  consumerId: string;
  receiverPointId: string;
  producerId: string;
  /** The page's wish, a ceiling only; null: no wish (as much as fits). */
  wish: Layers | null;
}

export interface Stage {
  speaker: string | null;
  spotlight: string | null;
  centralPointId: string | null;
  /** When each point last spoke (ms); never spoken: absent. */
  lastSpokeAt: ReadonlyMap<string, number>;
  /** Points that spoke recently: they may take the stage again. */
  recentSpeakers: ReadonlySet<string>;
}

/** Where a feed stands: on the stage, the central point, or a thumbnail in the strip. */
export type Rank = BandwidthStatus['consumers'][number]['rank'];

export interface Allocation {
  consumerId: string;
  /** null: paused, even its lowest layer does not fit. */
  layers: Layers | null;
  rank: Rank;
  /** mediasoup's consumer priority (1–255): who keeps its share inside a congested transport. */
  priority: number;
  kbps: number;
  /** The page's wish it was planned under (null: none). */
  wish: Layers | null;
}

export interface Plan {
  allocations: Allocation[];
  /** What the plan sends across the central point's link, kbit/s. */
  linkKbps: number;
  perReceiverKbps: Map<string, number>;
}

export interface AllocationInput {
  linkBudgetKbps: number;
  feeds: readonly Feed[];
  receivers: readonly Receiver[];
  subscriptions: readonly Subscription[];
  stage: Stage;
}

interface Working {
  sub: Subscription;
  feed: Feed;
  receiver: Receiver;
  rank: Rank;
  layers: Layers | null;
}

export function allocate(input: AllocationInput): Plan {
  const feeds = new Map(input.feeds.map((f) => [f.producerId, f]));
  const receivers = new Map(input.receivers.map((r) => [r.pointId, r]));
  const work: Working[] = [];
  for (const sub of input.subscriptions) {
    const feed = feeds.get(sub.producerId);
    const receiver = receivers.get(sub.receiverPointId);
    if (feed && receiver) {
      work.push({ sub, feed, receiver, rank: rankOf(feed, input.stage), layers: null });
    }
  }
  work.sort((a, b) => order(a, b, input.stage));

  let link = 0;
  const perReceiver = new Map<string, number>(input.receivers.map((r) => [r.pointId, 0]));
  const costOf = (w: Working, l: Layers | null): number =>
    l === null ? 0 : (w.feed.costs[l.spatial]?.[l.temporal] ?? 0);
  /** Moves `w` to `next` if the change fits both budgets; says whether it did. */
  const tryLayers = (w: Working, next: Layers): boolean => {
    const delta = costOf(w, next) - costOf(w, w.layers);
    const used = perReceiver.get(w.receiver.pointId) ?? 0;
    if (delta > 0) {
      if (used + delta > w.receiver.downlinkKbps) {
        return false;
      }
      if (w.receiver.crossesLink && link + delta > input.linkBudgetKbps) {
        return false;
      }
    }
    perReceiver.set(w.receiver.pointId, used + delta);
    if (w.receiver.crossesLink) {
      link += delta;
    }
    w.layers = next;
    return true;
  };
  const topTemporal = (w: Working, spatial: number): number =>
    Math.min((w.feed.costs[spatial]?.length ?? 1) - 1, w.sub.wish?.temporal ?? Infinity);
  const topSpatial = (w: Working): number =>
    Math.min(w.feed.costs.length - 1, w.sub.wish?.spatial ?? Infinity);
  /** The highest layer at or below `cap` that `w`'s own downlink has room for. */
  const bestWithin = (w: Working, cap: Layers): Layers | null => {
    const room = w.receiver.downlinkKbps - (perReceiver.get(w.receiver.pointId) ?? 0);
    for (let s = Math.min(cap.spatial, topSpatial(w)); s >= 0; s--) {
      for (
        let t = Math.min(s === cap.spatial ? cap.temporal : Infinity, topTemporal(w, s));
        t >= 0;
        t--
      ) {
        const next = { spatial: s, temporal: t };
        if (above(next, w.layers) && costOf(w, next) - costOf(w, w.layers) <= room) {
          return next;
        }
      }
    }
    return null;
  };
  /**
   * Raises one feed for all its receivers at once, to the highest step the link has
   * room for (each receiver as far as its own downlink allows): every receiver of a
   * feed sees it alike, and one keyframe serves the switch.
   */
  const raiseTogether = (group: Working[], steps: Layers[]): void => {
    for (const cap of steps) {
      const moves = group.flatMap((w) => {
        const next = bestWithin(w, cap);
        return next ? [{ w, next }] : [];
      });
      if (moves.length === 0) {
        continue;
      }
      const linkDelta = moves
        .filter((m) => m.w.receiver.crossesLink)
        .reduce((sum, m) => sum + costOf(m.w, m.next) - costOf(m.w, m.w.layers), 0);
      if (link + linkDelta <= input.linkBudgetKbps) {
        for (const m of moves) {
          tryLayers(m.w, m.next);
        }
        return;
      }
    }
  };
  const byFeed = (rank: Rank): Working[][] => {
    const groups = new Map<string, Working[]>();
    for (const w of work.filter((x) => x.rank === rank && x.layers)) {
      groups.set(w.feed.producerId, [...(groups.get(w.feed.producerId) ?? []), w]);
    }
    return [...groups.values()];
  };
  /** Every layer of a feed, the largest picture first, then its frame rates. */
  const stepsOf = (feed: Feed, largest = true): Layers[] =>
    feed.costs
      .flatMap((temporal, spatial) => temporal.map((_, t) => ({ spatial, temporal: t })))
      .sort((x, y) =>
        largest ? y.spatial - x.spatial || y.temporal - x.temporal : y.temporal - x.temporal,
      );

  // 1. Everyone's picture, however small, in order of importance.
  for (const w of work) {
    if (w.feed.costs.length > 0) {
      tryLayers(w, { spatial: 0, temporal: 0 });
    }
  }
  // 2–3. The stage, then the central point, as sharp as fits.
  for (const rank of ['stage', 'central'] as const) {
    for (const group of byFeed(rank)) {
      raiseTogether(group, stepsOf((group[0] as Working).feed));
    }
  }
  // 4. Thumbnails: their frame rate first, then a larger layer where one is wished for.
  for (const group of byFeed('thumbnail')) {
    const feed = (group[0] as Working).feed;
    raiseTogether(
      group,
      stepsOf(feed, false).filter((l) => l.spatial === 0),
    );
  }
  for (const group of byFeed('thumbnail')) {
    const wished = group.filter((w) => w.sub.wish && w.sub.wish.spatial > 0);
    if (wished.length > 0) {
      raiseTogether(wished, stepsOf((group[0] as Working).feed));
    }
  }

  return {
    allocations: work.map((w) => ({
      consumerId: w.sub.consumerId,
      layers: w.layers,
      rank: w.rank,
      priority: priorityOf(w, input.stage),
      kbps: costOf(w, w.layers),
      wish: w.sub.wish,
    })),
    linkKbps: link,
    perReceiverKbps: perReceiver,
  };
}

function above(next: Layers, current: Layers | null): boolean {
  return (
    current === null ||
    next.spatial > current.spatial ||
    (next.spatial === current.spatial && next.temporal > current.temporal)
  );
}

/**
 * mediasoup's priority inside one congested transport: it serves a transport's
 * consumers highest first, each as far as it goes. The plan orders thumbnails by who
 * spoke last, but a priority from that order changed with every word anyone said:
 * several requests per second to the worker, for a safety net between two ticks. In
 * three steps it changes only when a point starts or stops counting as a recent speaker.
 */
function priorityOf(w: Working, stage: Stage): number {
  if (w.rank !== 'thumbnail') {
    return w.rank === 'stage' ? 255 : 200;
  }
  const point = w.feed.pointId;
  return stage.recentSpeakers.has(point) ? 150 : stage.lastSpokeAt.has(point) ? 100 : 50;
}

function rankOf(feed: Feed, stage: Stage): Rank {
  if (feed.source === 'screen' || feed.pointId === stage.spotlight) {
    return 'stage';
  }
  if (feed.pointId === stage.speaker) {
    return 'stage';
  }
  return feed.pointId === stage.centralPointId ? 'central' : 'thumbnail';
}

const RANK_ORDER: Record<Rank, number> = { stage: 0, central: 1, thumbnail: 2 };

function order(a: Working, b: Working, stage: Stage): number {
  const byRank = RANK_ORDER[a.rank] - RANK_ORDER[b.rank];
  if (byRank !== 0) {
    return byRank;
  }
  // On the stage, the shared screen, then the chair's spotlight, then the speaker.
  const onStage = (w: Working): number =>
    w.feed.source === 'screen' ? 0 : w.feed.pointId === stage.spotlight ? 1 : 2;
  const byStage = onStage(a) - onStage(b);
  if (byStage !== 0) {
    return byStage;
  }
  // Then who spoke last; then a stable order.
  const spoke =
    (stage.lastSpokeAt.get(b.feed.pointId) ?? -Infinity) -
    (stage.lastSpokeAt.get(a.feed.pointId) ?? -Infinity);
  if (spoke !== 0 && !Number.isNaN(spoke)) {
    return spoke;
  }
  return a.sub.consumerId < b.sub.consumerId ? -1 : a.sub.consumerId > b.sub.consumerId ? 1 : 0;
}
