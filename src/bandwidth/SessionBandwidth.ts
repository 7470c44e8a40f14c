/**
 * One session's share of the central point's link, governed tick by tick: reads what
 * mediasoup measures of its room (each video layer's cost, the sound, RTX and probing
 * on every receiving transport), plans who receives which layer (`allocate`), smooths
 * the plan (`LayerSmoother`) and applies it through mediasoup's own tools: a ceiling per
 * consumer (`setPreferredLayers`, under the page's wish), its priority inside a
 * congested transport (`setPriority`), and a per-receiver cap (`setMaxOutgoingBitrate`)
 * as a safety net. Audio is never touched, and the recorder's consumers are not the
 * room's (they stay on the top layer, off the budget).
 */
import type { types } from 'mediasoup';
import type { Logger } from '../../common/logger.js';
import type { Room } from '../sfu/Room.js';
import type { Peer } from '../sfu/Peer.js';
import { encodingsOf, isRecvTransport } from '../sfu/mediaLookups.js';
import {
  type Allocation,
  type Feed,
  type Layers,
  type Receiver,
  type Subscription,
  allocate,
} from './allocate.js';
import { Dynacast, type PublisherNeeds } from './Dynacast.js';
import { CongestedReceivers } from './CongestedReceivers.js';
import { OvershootMargin } from './OvershootMargin.js';
import { type Fall, PendingFalls } from './PendingFalls.js';
import { FeedCosts } from './FeedCosts.js';
import { VoiceRuns } from './VoiceRuns.js';
import { LayerSmoother, compare } from './LayerSmoother.js';
import type { BandwidthStatus } from '../../protocol/bandwidth.js';

export interface BandwidthLimits {
  /** This session's share of the link for everything it sends across it, kbit/s. */
  linkKbps: number;
  /** A delegate's downlink, kbit/s, before headroom. */
  delegateDownlinkKbps: number;
  /** Kept free of media on every link: RTCP, bursts (%). */
  headroomPct: number;
  /** Central points sit on the server's LAN: what they receive does not cross the link. */
  centralOnLan: boolean;
  /** Publishers send the layers nobody receives as a trickle; off: every layer in full. */
  dynacast: boolean;
}

/** What a producer's layers cost to forward at this tick's figures, kbit/s (null: paused). */
type CostOf = (producerId: string, layers: Layers | null) => number;

function layerCosts(feeds: readonly Feed[]): CostOf {
  const costs = new Map(feeds.map((f) => [f.producerId, f.costs]));
  return (producerId, l) =>
    l === null ? 0 : (costs.get(producerId)?.[l.spatial]?.[l.temporal] ?? 0);
}

/** Whether what a point receives crosses the central link (counts against the budget). */
export function crossesLink(peer: Peer, centralOnLan: boolean): boolean {
  return !(centralOnLan && peer.claims.pointKind === 'central');
}

/**
 * A new loudest point takes the stage once it has held for this long (ms), timed from
 * its first word: the detection names it a second or more after it, so one that has
 * spoken that long already moves on the stage as soon as it is named.
 */
const SPEAKER_HOLD_MS = 1000;
/** A page's larger wish asks for a tick at most this often (ms). */
const WISH_NUDGE_MS = 250;
/** Applied layers this far over the budget step down at once, not after a second tick. */
const OVERRUN = 1.1;
/** A point that spoke this recently sends every layer: it may take the stage again (ms). */
const RECENT_SPEAKER_MS = 30_000;
/** A receiver's transport is capped at what the plan sends it times this, plus a floor. */
const PROBE_SLACK = 1.5;
const PROBE_FLOOR_KBPS = 500;
/** A cap is changed only when it moves more than this share (mediasoup redistributes). */
const CAP_CHANGE = 0.1;
/**
 * Rises held back while the falls that make room for them switch (at a keyframe of the
 * lower layer: a browser answers the SFU's request within a frame and a round trip)
 * follow as soon as they have, or this long after the falls were sent at the most (ms).
 */
const RISES_AFTER_FALLS_MS = 400;
/** How often the falls are looked at meanwhile: about a frame (ms). */
const FALLS_LOOKED_AT_MS = 40;
/**
 * A voice that started longer ago than this when the detection names its point counts
 * for nothing towards the hold (ms): two points talking over each other, or a hall's
 * microphone that never falls quiet, must not move the stage each time the detection
 * turns.
 */
const VOICE_CREDIT_MS = 3000;
/** Opus runs at a steady rate: its figure is read again this often, not every tick. */
const AUDIO_REREAD_MS = 5000;

export class SessionBandwidth {
  readonly #room: Room;
  readonly #log: Logger;
  readonly #costs = new FeedCosts();
  readonly #smoother = new LayerSmoother();
  readonly #dynacast = new Dynacast();
  readonly #lastSpokeAt = new Map<string, number>();
  readonly #voices = new VoiceRuns();
  readonly #applied = new Map<string, { layers: Layers | null; priority: number }>();
  readonly #transportCaps = new Map<string, number>();
  #stageSpeaker: string | null = null;
  #candidate: { pointId: string; since: number } | null = null;
  #wishNudgedAt = -Infinity;
  #overheadKbps = 0;
  readonly #margin = new OvershootMargin();
  readonly #congested = new CongestedReceivers();
  readonly #audioKbps = new Map<string, { kbps: number; at: number }>();
  #status: BandwidthStatus | null = null;
  readonly #nudge: () => void;
  readonly #pendingFalls = new PendingFalls(RISES_AFTER_FALLS_MS);
  #fallsWatched = false;

  /**
   * `nudge`: asks for a tick soon (a new speaker has held long enough to take the stage,
   * a new picture waits to be fitted in).
   */
  constructor(room: Room, log: Logger, nudge: () => void = () => undefined) {
    this.#room = room;
    this.#log = log;
    this.#nudge = nudge;
    // A layer the recorder needs starts at once, before its first keyframe is written.
    room.media.on('recorded', nudge);
    // A new picture waits for its first ceiling: the next tick, now.
    room.media.governNewVideo();
    room.media.on('videoheld', nudge);
    // A page enlarged a picture (the speaker it has just put on its stage): planned now
    // under its new wish, not at the next tick. At most so often, whatever a page sends.
    room.media.on('wishabove', () => {
      const now = Date.now();
      if (now - this.#wishNudgedAt >= WISH_NUDGE_MS) {
        this.#wishNudgedAt = now;
        nudge();
      }
    });
    // A voice brings its point's trickling layers back in full before the detection
    // names it: a browser's rate control takes a moment to climb, so the stage's picture
    // is sharp that much sooner.
    room.media.on('voice', (pointId, since) => {
      if (this.#voices.heard(pointId, since) && this.#holdsLayersBack(pointId)) {
        nudge();
      }
    });
    room.media.on('activespeaker', (pointId) => {
      const now = Date.now();
      this.#lastSpokeAt.set(pointId, now);
      if (pointId !== this.#stageSpeaker) {
        this.#candidate = { pointId, since: this.#holdSince(pointId, now) };
        // The plan follows the end of its hold at once rather than at the next tick.
        const wait = Math.max(0, this.#candidate.since + SPEAKER_HOLD_MS - now);
        setTimeout(nudge, wait > 0 ? wait + 20 : 0).unref();
      }
    });
  }

  async #audioKbpsOf(producer: types.Producer, now: number): Promise<number> {
    const known = this.#audioKbps.get(producer.id);
    if (known && now - known.at < AUDIO_REREAD_MS) {
      return known.kbps;
    }
    const [stat] = (await producer.getStats().catch(() => [])) as types.ProducerStat[];
    const kbps = (stat?.bitrate ?? 0) / 1000;
    // A sound that has just started reads 0: asked again next tick.
    this.#audioKbps.set(producer.id, { kbps, at: kbps > 0 ? now : -Infinity });
    return kbps;
  }

  get status(): BandwidthStatus | null {
    return this.#status;
  }

  async tick(limits: BandwidthLimits, now: number): Promise<void> {
    const room = this.#room;
    const peers = [...room.peers.values()].filter((p) => !p.closed);
    this.#voices.keep(new Set(peers.map((p) => p.pointId)));
    this.#followSpeaker(now);

    // Every reading at once: each is a round trip through the worker, and the plan
    // waits for them all (a round takes p50 6–9 ms in the bandwidth bench).
    const producers = peers.flatMap((peer) =>
      [...peer.producers.values()].map((producer) => ({ peer, producer })),
    );
    const [readings, transportStats] = await Promise.all([
      Promise.all(
        producers.map(async ({ producer }) =>
          producer.kind === 'audio'
            ? { audioKbps: await this.#audioKbpsOf(producer, now), costs: null }
            : // A camera switched off carries nothing: it costs nothing, and comes back
              // through the smoothing like any rise.
              {
                audioKbps: 0,
                costs: producer.paused
                  ? [[0]]
                  : await this.#costs.of(producer, this.#dynacast.maxSpatialLayer(producer.id)),
              },
        ),
      ),
      Promise.all(
        peers.map((peer) =>
          crossesLink(peer, limits.centralOnLan)
            ? Promise.all(
                [...peer.transports.values()]
                  .filter(isRecvTransport)
                  .map(
                    async (t) =>
                      ((await t.getStats().catch(() => [])) as types.WebRtcTransportStat[])[0],
                  ),
              )
            : Promise.resolve([]),
        ),
      ),
    ]);

    // What each video feed costs, and what the sound costs each receiver.
    const feeds: Feed[] = [];
    const audioKbpsOf = new Map<string, number>();
    const live = new Set<string>();
    producers.forEach(({ peer, producer }, i) => {
      live.add(producer.id);
      const reading = readings[i];
      if (producer.kind === 'audio') {
        audioKbpsOf.set(producer.id, reading?.audioKbps ?? 0);
        return;
      }
      const costs = reading?.costs;
      if (costs) {
        const source = (producer.appData as { source?: string }).source;
        feeds.push({
          producerId: producer.id,
          pointId: peer.pointId,
          source: source === 'screen' ? 'screen' : 'camera',
          costs,
        });
      }
    });
    this.#costs.keep(live);
    for (const id of this.#audioKbps.keys()) {
      if (!live.has(id)) {
        this.#audioKbps.delete(id);
      }
    }

    const headroom = 1 - limits.headroomPct / 100;
    const receivers: Receiver[] = [];
    const subscriptions: Subscription[] = [];
    const consumers = new Map<string, { consumer: types.Consumer; peer: Peer }>();
    let audioOnLink = 0;
    let overhead = 0;
    let sent = 0;
    const audioTo = new Map<string, number>();
    peers.forEach((peer, i) => {
      const crosses = crossesLink(peer, limits.centralOnLan);
      let audio = 0;
      for (const consumer of peer.consumers.values()) {
        if (consumer.kind === 'audio') {
          if (!consumer.paused && !consumer.producerPaused) {
            audio += audioKbpsOf.get(consumer.producerId) ?? 0;
          }
          continue;
        }
        consumers.set(consumer.id, { consumer, peer });
        subscriptions.push({
          consumerId: consumer.id,
          receiverPointId: peer.pointId,
          producerId: consumer.producerId,
          wish: room.media.wishOf(consumer.id),
        });
      }
      audioTo.set(peer.pointId, audio);
      if (crosses) {
        audioOnLink += audio;
        const second = { sentKbps: 0, rtxKbps: 0, estimateKbps: 0 };
        for (const s of transportStats[i] ?? []) {
          overhead += ((s?.rtxSendBitrate ?? 0) + (s?.probationSendBitrate ?? 0)) / 1000;
          second.sentKbps += (s?.sendBitrate ?? 0) / 1000;
          second.rtxKbps += (s?.rtxSendBitrate ?? 0) / 1000;
          second.estimateKbps += (s?.availableOutgoingBitrate ?? 0) / 1000;
        }
        sent += second.sentKbps;
        this.#congested.observe(peer.pointId, second, now);
      }
      const downlink = Math.min(
        (peer.claims.pointKind === 'central' ? limits.linkKbps : limits.delegateDownlinkKbps) *
          headroom,
        this.#congested.capOf(peer.pointId, now),
      );
      receivers.push({
        pointId: peer.pointId,
        crossesLink: crosses,
        downlinkKbps: Math.max(0, downlink - audio),
      });
    });
    this.#congested.keep(new Set(peers.map((p) => p.pointId)), now, (pointId) =>
      peers.find((p) => p.pointId === pointId)?.claims.pointKind === 'central'
        ? limits.linkKbps
        : limits.delegateDownlinkKbps,
    );
    // Retransmissions and probing vary by the second: their recent average is kept free.
    this.#overheadKbps = this.#overheadKbps * 0.7 + overhead * 0.3;
    const margin = this.#margin.learn(sent, limits, now);
    const videoBudget = Math.max(
      0,
      limits.linkKbps * headroom - audioOnLink - this.#overheadKbps - margin,
    );

    const central = peers.find((p) => p.claims.pointKind === 'central');
    const plan = allocate({
      linkBudgetKbps: videoBudget,
      feeds,
      receivers,
      subscriptions,
      stage: {
        speaker: this.#stageSpeaker,
        spotlight: room.session.spotlight,
        centralPointId: central?.pointId ?? null,
        lastSpokeAt: this.#lastSpokeAt,
        recentSpeakers: new Set(
          [...this.#lastSpokeAt].filter(([, at]) => now - at < RECENT_SPEAKER_MS).map(([p]) => p),
        ),
      },
    });
    const costOf = layerCosts(feeds);
    const smoothed = this.#smoother.next(
      plan.allocations,
      now,
      this.#overrun(costOf, consumers, limits, videoBudget),
    );
    const applied = this.#fallsFirst(smoothed, costOf, consumers, limits, videoBudget);
    const falls = this.#fallsIn(applied, consumers);
    const steppedDown = await this.#apply(plan.allocations, applied, consumers);
    this.#pendingFalls.sent(falls, Date.now());
    if (applied !== smoothed) {
      this.#risesOnceFallen();
    }
    const byConsumer = new Map(plan.allocations.map((a) => [a.consumerId, a]));
    let usedVideo = 0;
    const perReceiver = new Map<string, number>();
    for (const [consumerId, layers] of applied) {
      const a = byConsumer.get(consumerId);
      const c = consumers.get(consumerId);
      const kbps = c ? costOf(c.consumer.producerId, layers) : 0;
      if (c && a) {
        perReceiver.set(c.peer.pointId, (perReceiver.get(c.peer.pointId) ?? 0) + kbps);
        if (crossesLink(c.peer, limits.centralOnLan)) {
          usedVideo += kbps;
        }
      }
    }
    await this.#capTransports(peers, limits, (pointId) => {
      return (perReceiver.get(pointId) ?? 0) + (audioTo.get(pointId) ?? 0);
    });
    const publishers = this.#adaptPublishers(peers, applied, consumers, limits, now);

    const plannedKbps = usedVideo + audioOnLink + this.#overheadKbps;
    this.#margin.planned(plannedKbps);
    this.#status = {
      sampledAt: new Date(now).toISOString(),
      budgetKbps: Math.round(limits.linkKbps),
      videoBudgetKbps: Math.round(videoBudget),
      plannedKbps: Math.round(plannedKbps),
      sentKbps: Math.round(sent),
      videoKbps: Math.round(usedVideo),
      audioKbps: Math.round(audioOnLink),
      overheadKbps: Math.round(this.#overheadKbps),
      marginKbps: Math.round(margin),
      stageSpeaker: this.#stageSpeaker,
      pausedVideo: [...applied.values()].filter((l) => l === null).length,
      steppedDown,
      points: receivers.map((r) => ({
        pointId: r.pointId,
        crossesLink: r.crossesLink,
        downlinkKbps: Math.round(r.downlinkKbps),
        receivingKbps: Math.round(perReceiver.get(r.pointId) ?? 0),
      })),
      publishers,
      consumers: plan.allocations.map((a) => {
        const c = consumers.get(a.consumerId);
        return {
          consumerId: a.consumerId,
          receiverPointId: c?.peer.pointId ?? '',
          senderPointId: (c?.consumer.appData as { pointId?: string } | undefined)?.pointId ?? '',
          rank: a.rank,
          layers: applied.get(a.consumerId) ?? null,
        };
      }),
    };
    if (steppedDown > 0) {
      this.#log.info(
        {
          budgetKbps: this.#status.budgetKbps,
          plannedKbps: this.#status.plannedKbps,
          steppedDown,
          paused: this.#status.pausedVideo,
        },
        'bandwidth: the budget stepped video down',
      );
    }
  }

  /**
   * Whether the layers applied now, at this tick's costs, are far over the video budget
   * (more than OVERRUN): then a step down is not left to wait for a second tick.
   */
  #overrun(
    costOf: CostOf,
    consumers: ReadonlyMap<string, { consumer: types.Consumer; peer: Peer }>,
    limits: BandwidthLimits,
    videoBudgetKbps: number,
  ): boolean {
    let held = 0;
    for (const [id, { consumer, peer }] of consumers) {
      if (crossesLink(peer, limits.centralOnLan)) {
        held += costOf(consumer.producerId, this.#applied.get(id)?.layers ?? null);
      }
    }
    return held > videoBudgetKbps * OVERRUN;
  }

  /**
   * A consumer changes layer only at a keyframe: until then the old layer flows, so a
   * tick that raises some and lowers others briefly sends both. When that would overrun
   * the budget, the falls go now and the rises once the room they make is there. A new
   * picture is a rise from nothing: a screen shared to every point at once, flowing
   * before the pictures stepped down for it have switched, overran a full link. Falls
   * sent at earlier ticks count at their old layers until they have switched: a
   * flowing picture's rise that fits beside them (a page enlarging the speaker it has
   * just put on its stage) goes at once; one that does not, or a new picture, waits.
   */
  #fallsFirst(
    next: ReadonlyMap<string, Layers | null>,
    cost: CostOf,
    consumers: ReadonlyMap<string, { consumer: types.Consumer; peer: Peer }>,
    limits: BandwidthLimits,
    videoBudgetKbps: number,
  ): ReadonlyMap<string, Layers | null> {
    let rises = false;
    let falls = false;
    let newPicture = false;
    let transient = 0;
    for (const [id, layers] of next) {
      const c = consumers.get(id);
      if (!c || !crossesLink(c.peer, limits.centralOnLan)) {
        continue;
      }
      const before = this.#applied.get(id)?.layers ?? null;
      // Up or down by the layers, as what is held back below: a sender short of uplink
      // may send its top layer below its medium one's bitrate.
      const change = compare(layers, before);
      rises ||= change > 0;
      falls ||= change < 0;
      newPicture ||= change > 0 && before === null;
      const was = cost(c.consumer.producerId, before);
      const will = cost(c.consumer.producerId, layers);
      transient += Math.max(was, will);
    }
    if (!rises) {
      return next;
    }
    const now = Date.now();
    if (this.#pendingFalls.switched(now)) {
      if (!falls || transient <= videoBudgetKbps) {
        return next;
      }
    } else if (
      // Falls sent at an earlier tick and not switched yet still carry their old layers:
      // a flowing picture's rise that fits beside them goes. A new picture waits for
      // them whatever its cost says: a screen just shared starts with a keyframe to
      // every point that no average of its bitrate has seen yet.
      !newPicture &&
      transient + this.#pendingFalls.carriedKbps(now, cost) <= videoBudgetKbps
    ) {
      return next;
    }
    return new Map(
      [...next].map(([id, layers]) => {
        const before = this.#applied.get(id)?.layers ?? null;
        return [id, compare(layers, before) > 0 ? before : layers];
      }),
    );
  }

  /** The consumers `applied` lowers, from what and to what. */
  #fallsIn(
    applied: ReadonlyMap<string, Layers | null>,
    consumers: ReadonlyMap<string, { consumer: types.Consumer }>,
  ): Fall[] {
    const falls: Fall[] = [];
    for (const [id, to] of applied) {
      const consumer = consumers.get(id)?.consumer;
      const before = this.#applied.get(id);
      if (consumer && before && compare(to, before.layers) < 0) {
        falls.push({ consumer, from: before.layers, to });
      }
    }
    return falls;
  }

  /**
   * The rises held back by `#fallsFirst` follow at a tick asked for once the falls just
   * sent have switched, not a second later: a new speaker's picture is among them.
   */
  #risesOnceFallen(): void {
    if (this.#fallsWatched) {
      return;
    }
    this.#fallsWatched = true;
    const look = (): void => {
      if (this.#room.closed || this.#pendingFalls.switched(Date.now())) {
        this.#fallsWatched = false;
        this.#nudge();
      } else {
        setTimeout(look, FALLS_LOOKED_AT_MS).unref();
      }
    };
    setTimeout(look, FALLS_LOOKED_AT_MS).unref();
  }

  /** Applies what changed; returns how many consumers stepped down. */
  async #apply(
    plan: readonly Allocation[],
    applied: ReadonlyMap<string, Layers | null>,
    consumers: ReadonlyMap<string, { consumer: types.Consumer }>,
  ): Promise<number> {
    let down = 0;
    // Every consumer's change at once, not one round trip after another: the worker
    // takes them in the order sent, and a tick that stages a new speaker changes tens.
    await Promise.all(
      plan.map(async (a) => {
        const c = consumers.get(a.consumerId);
        const layers = applied.get(a.consumerId);
        if (!c || layers === undefined || c.consumer.closed) {
          return;
        }
        const before = this.#applied.get(a.consumerId);
        // Only a change is sent: a repeated switch while a keyframe is pending would
        // start it over (versatica/mediasoup#990).
        let done = { layers: before?.layers ?? null, priority: before?.priority ?? 0 };
        if (!before || compare(before.layers, layers) !== 0) {
          if (before && compare(layers, before.layers) < 0) {
            down++;
          }
          // Kept as applied only once mediasoup took it: a failed change is tried again.
          if (
            await this.#room.media.setCeiling(c.consumer, layers).then(
              () => true,
              () => false,
            )
          ) {
            done = { ...done, layers };
          }
        }
        if (!before || before.priority !== a.priority) {
          if (
            await c.consumer.setPriority(a.priority).then(
              () => true,
              () => false,
            )
          ) {
            done = { ...done, priority: a.priority };
          }
        }
        this.#applied.set(a.consumerId, done);
      }),
    );
    for (const id of this.#applied.keys()) {
      if (!consumers.has(id)) {
        this.#applied.delete(id);
      }
    }
    return down;
  }

  /**
   * Dynacast: each simulcast camera told to send its layers up to the highest somebody
   * receives (the plan's ceilings of the consumers their pages resumed, the recorder's
   * top layer), every layer for the stage and recent speakers. Returns what each
   * publisher was told.
   */
  #adaptPublishers(
    peers: readonly Peer[],
    applied: ReadonlyMap<string, Layers | null>,
    consumers: ReadonlyMap<string, { consumer: types.Consumer }>,
    limits: BandwidthLimits,
    now: number,
  ): BandwidthStatus['publishers'] {
    const media = this.#room.media;
    const received = new Map<string, Set<number>>();
    for (const [consumerId, layers] of applied) {
      const consumer = consumers.get(consumerId)?.consumer;
      if (layers && consumer && !consumer.closed && media.shownByPage(consumerId)) {
        const set = received.get(consumer.producerId) ?? new Set<number>();
        set.add(layers.spatial);
        received.set(consumer.producerId, set);
      }
    }
    const onStage = new Set([
      this.#stageSpeaker,
      this.#candidate?.pointId ?? null,
      this.#room.session.spotlight,
    ]);
    const needs: PublisherNeeds[] = [];
    const owners = new Map<string, Peer>();
    for (const peer of peers) {
      const spoke = this.#lastSpokeAt.get(peer.pointId) ?? -Infinity;
      // A point speaking now may be named the loudest any moment.
      const voiced = this.#voices.since(peer.pointId, now) !== null;
      // Dynacast switched off: every layer in full again (those thinned before, too).
      const keepAll =
        !limits.dynacast || onStage.has(peer.pointId) || now - spoke < RECENT_SPEAKER_MS || voiced;
      for (const producer of peer.producers.values()) {
        if (producer.kind !== 'video' || producer.closed) {
          continue;
        }
        const layers = encodingsOf(producer).length;
        if (layers < 2) {
          continue;
        }
        const needed = new Set(received.get(producer.id));
        if (media.isRecorded(producer.id)) {
          needed.add(layers - 1);
        }
        needs.push({ producerId: producer.id, layers, needed, keepAll });
        owners.set(producer.id, peer);
      }
    }
    for (const [producerId, maxSpatialLayer] of this.#dynacast.update(needs, now)) {
      const owner = owners.get(producerId);
      owner?.channel.notify('publishLayers', { producerId, maxSpatialLayer });
      this.#log.debug(
        { pointId: owner?.pointId, producerId, maxSpatialLayer },
        'bandwidth: a publisher told which layers to send',
      );
    }
    return needs.map((n) => ({
      pointId: owners.get(n.producerId)?.pointId ?? '',
      producerId: n.producerId,
      layers: n.layers,
      maxSpatialLayer: this.#dynacast.maxSpatialLayer(n.producerId) ?? n.layers - 1,
    }));
  }

  /**
   * Each receiving transport across the link capped near what the plan sends it (and
   * never above a delegate's downlink): mediasoup probes towards every consumer's top
   * layer whatever its ceiling, padding a receiver's link with megabits the plan never
   * meant to send; under the cap it probes only for the room the plan may give. The
   * slack lets its estimate stay ahead of the plan, so a rise is not held back.
   */
  async #capTransports(
    peers: readonly Peer[],
    limits: BandwidthLimits,
    plannedTo: (pointId: string) => number,
  ): Promise<void> {
    const open = new Set(peers.flatMap((p) => [...p.transports.keys()]));
    for (const id of this.#transportCaps.keys()) {
      if (!open.has(id)) {
        this.#transportCaps.delete(id);
      }
    }
    for (const peer of peers) {
      if (!crossesLink(peer, limits.centralOnLan)) {
        continue;
      }
      const most =
        peer.claims.pointKind === 'central' ? limits.linkKbps : limits.delegateDownlinkKbps;
      const kbps = Math.min(most, plannedTo(peer.pointId) * PROBE_SLACK + PROBE_FLOOR_KBPS);
      const bps = Math.round(kbps * 1000);
      for (const transport of peer.transports.values()) {
        const webRtc = transport as types.WebRtcTransport;
        const before = this.#transportCaps.get(transport.id);
        if (
          !isRecvTransport(transport) ||
          typeof webRtc.setMaxOutgoingBitrate !== 'function' ||
          (before !== undefined && Math.abs(bps - before) <= before * CAP_CHANGE)
        ) {
          continue;
        }
        await webRtc.setMaxOutgoingBitrate(bps).catch(() => undefined);
        this.#transportCaps.set(transport.id, bps);
      }
    }
  }

  /**
   * When a newly loudest point's hold started: its first word, if not long ago. Named
   * every tenth of a second, it may be named before its levels have lasted long enough
   * to be called a voice on their own (two quarter seconds): its first level counts.
   */
  #holdSince(pointId: string, now: number): number {
    const voice = this.#voices.runSince(pointId, now);
    return voice !== null && now - voice <= VOICE_CREDIT_MS ? voice : now;
  }

  /** Whether a point was told to send any layer of its cameras as a trickle. */
  #holdsLayersBack(pointId: string): boolean {
    const peer = this.#room.peers.get(pointId);
    return [...(peer?.producers.values() ?? [])].some((p) => {
      const told = this.#dynacast.maxSpatialLayer(p.id);
      return told !== null && told < encodingsOf(p).length - 1;
    });
  }

  /** The stage's speaker: the loudest point, once it has held a moment. */
  #followSpeaker(now: number): void {
    const loudest = this.#room.media.activeSpeaker;
    if (loudest) {
      this.#lastSpokeAt.set(loudest, now);
    }
    if (!loudest || loudest === this.#stageSpeaker) {
      this.#candidate = null;
      return;
    }
    if (this.#stageSpeaker === null) {
      this.#stageSpeaker = loudest;
      return;
    }
    if (this.#candidate?.pointId !== loudest) {
      this.#candidate = { pointId: loudest, since: this.#holdSince(loudest, now) };
    }
    if (now - this.#candidate.since >= SPEAKER_HOLD_MS) {
      this.#stageSpeaker = loudest;
      this.#candidate = null;
    }
  }
}
