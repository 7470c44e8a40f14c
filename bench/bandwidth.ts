/**
 * The bandwidth governor side by side with none, in one run, on the issue's session:
 * 1 central point + 10 delegates, every one publishing a 3-layer simulcast camera and
 * Opus and receiving everyone else, all across the central link (`centralOnLan` off).
 * Two are real Chromium pages (the central point and one delegate, their microphones
 * muted); nine are synthetic (bench/simulcastPublisher.ts: pre-encoded layers at the
 * SDK's sizes and bitrates, receiving on PlainTransports and asking, as the room page
 * does, for the speaker large and everyone else as a thumbnail). The speaker changes
 * every 10 s among the synthetic points (the others' sound paused); one of them shares
 * a screen through the middle third. BENCH_SECONDS (default 120) per phase: once
 * without the governor, then with it at each budget of BENCH_BUDGETS (default
 * 10,30,50 Mbit/s); the ungoverned windows are held against each budget. Then once
 * more at 30 Mbit/s (the main budget) with every point recorded, as a session runs by
 * default (BENCH_RECORDED=0 skips it): the recorder takes every camera's top layer, so
 * dynacast keeps it on and a new speaker's top layer has no encoder to wake.
 *
 * Measured by the server in this process, in 1 s windows: its egress (every receiving
 * transport's bytes sent), each delegate's share against its 5 Mbit/s downlink, its
 * ingress (what the publishers send: dynacast's saving), audio consumers paused, layer
 * changes per video consumer, how long the new speaker's picture takes to reach, for
 * every receiver, its top layer, and the workers' CPU. Last line: JSON.
 *
 * The Chromium delegate sits behind a narrow line (BENCH_CONSTRAINED_KBPS, default
 * 1500 kbit/s, 0 for none): what reaches its page is shaped with `tc` (htb, a 50-packet
 * queue) on the loopback of a network namespace the bench runs in (root needed). Its
 * page is sampled every second: what it received, whether the picture on its stage
 * showed a new frame, whether sound arrived.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { types } from 'mediasoup';
import type { Browser, Page } from 'playwright-core';
import { resolveFfmpeg } from '../archive/ffmpegBinary.js';
import type { Peer } from '../src/sfu/Peer.js';
import type { Room } from '../src/sfu/Room.js';
import { isRecvTransport } from '../src/sfu/mediaLookups.js';
import type { Server } from '../src/Server.js';
import {
  TRACK_PEER_CONNECTIONS_SCRIPT,
  joinPage,
  launchBrowser,
  peerConnectionPorts,
} from '../test/helpers/browser.js';
import { tempDir } from '../test/helpers/cli.js';
import { inOwnNetworkNamespace, narrowPorts } from '../test/helpers/netns.js';
import { startInProcessServer } from '../test/helpers/inProcessServer.js';
import { tokens } from '../test/helpers/session.js';
import { cpuSeconds, percentile, round } from './procStats.js';
import { LinkMeter } from './LinkMeter.js';
import { joinSyntheticReceiver, withoutFeedback } from './publishClip.js';
import { makeSimulcastClips, type SimulcastClips } from './rtpSenders.js';
import { SimulcastPublisher } from './simulcastPublisher.js';

const SYNTHETIC = 9;
const BUDGETS = (process.env['BENCH_BUDGETS'] ?? '10,30,50').split(',').map(Number);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 120);
const RECORDED = process.env['BENCH_RECORDED'] !== '0';
const DOWNLINK_MBPS = 5;
/** The Chromium delegate's narrow line, kbit/s (0: none, and no network namespace). */
const CONSTRAINED_KBPS = Number(process.env['BENCH_CONSTRAINED_KBPS'] ?? 1500);
const TURN_MS = 10_000;
const SESSION = 'bench-bandwidth';
/** The budget the top-level figures are held against: the decision's 30 Mbit/s. */
const MAIN = BUDGETS.includes(30) ? 30 : (BUDGETS[0] as number);

interface Figures {
  egressWithinBudgetPct: number;
  egressP50Kbps: number;
  egressMaxKbps: number;
  ingressP50Kbps: number;
  delegatesWithinDownlinkPct: number;
  /**
   * From a change of speaker to every receiver decoding its top layer, p90 over the
   * turns that got there (null: none did); how many did is beside it.
   */
  speakerTopLayerP90Ms: number | null;
  speakerTurns: number;
  speakerTurnsReached: number;
  /**
   * Where that time goes, p90 of each step from the change (null: never): the server
   * naming the new loudest point, the plain (synthetic) receivers at its top layer, the
   * Chromium receiver at its top layer (mediasoup switches a receiver whose bitrate it
   * manages to a layer only once that layer has flowed 2 s).
   */
  speakerSteps: {
    detectedP90Ms: number | null;
    plainReceiversP90Ms: number | null;
    browserReceiverP90Ms: number | null;
    /** How many turns reached each step (each p90 is over those). */
    detectedTurns: number;
    plainReceiversTurns: number;
    browserReceiverTurns: number;
  };
  audioPausedCount: number;
  layerChangesPerConsumerMinute: number;
  workersCpuPct: number;
  /** The Chromium delegate behind its narrow line (null: none). */
  constrainedDelegate: ConstrainedFigures | null;
}

interface ConstrainedFigures {
  lineKbps: number;
  /** What its page received, median of 1 s windows. */
  receivedKbpsP50: number;
  /** 1 s windows in which the stage's picture showed no new frame. */
  stageFrozenPct: number;
  /** 1 s windows in which no sound arrived. */
  audioStalledPct: number;
  windows: number;
}

let dir: string;
let ffmpeg: string;
let clips: SimulcastClips;
let sink: dgram.Socket;
let browser: Browser;
let timeline: TurnTimeline | null = null;

/** One turn's steps, ms from its start (null: not yet, or never). */
interface TurnSteps {
  detected: number | null;
  plain: number | null;
  browser: number | null;
  all: number | null;
}

/**
 * Each change of speaker, timed from the moment its sound starts: when the server names
 * it the loudest, and when its top layer reaches the plain receivers, the browser ones,
 * and all of them. A turn that never got there counts as not reached.
 */
class SpeakerTurns {
  readonly #done: TurnSteps[] = [];
  #current: TurnSteps | null = null;
  #start = 0;
  #speaker: string | null = null;

  start(at: number, speaker: string | null): void {
    if (this.#current) {
      this.#done.push(this.#current);
    }
    this.#start = at;
    this.#speaker = speaker;
    this.#current = speaker ? { detected: null, plain: null, browser: null, all: null } : null;
  }

  detected(pointId: string): void {
    if (this.#current && this.#current.detected === null && pointId === this.#speaker) {
      this.#current.detected = Date.now() - this.#start;
    }
  }

  /**
   * `topAt`: when mediasoup switched that receiver to the top layer (its `layerschange`),
   * so a step is timed to the switch, not to this loop's next look.
   */
  watch(
    now: number,
    receivers: readonly { browser: boolean; top: boolean; topAt: number }[],
  ): void {
    const c = this.#current;
    // The first moments still carry the last turn's layers.
    if (!c || c.all !== null || now - this.#start <= 300) {
      return;
    }
    const reachedAt = (of: readonly { top: boolean; topAt: number }[]): number | null =>
      of.length > 0 && of.every((r) => r.top)
        ? Math.max(0, Math.max(...of.map((r) => r.topAt)) - this.#start)
        : null;
    c.plain ??= reachedAt(receivers.filter((r) => !r.browser));
    c.browser ??= reachedAt(receivers.filter((r) => r.browser));
    c.all = reachedAt(receivers);
  }

  figures(): Pick<
    Figures,
    'speakerTopLayerP90Ms' | 'speakerTurns' | 'speakerTurnsReached' | 'speakerSteps'
  > {
    const p90 = (of: (number | null)[]): number | null => {
      const known = of.filter((d): d is number => d !== null);
      return known.length > 0 ? round(percentile(known, 90)) : null;
    };
    const reached = this.#done.filter((d) => d.all !== null);
    return {
      speakerTopLayerP90Ms: p90(reached.map((d) => d.all)),
      speakerTurns: this.#done.length,
      speakerTurnsReached: reached.length,
      speakerSteps: {
        detectedP90Ms: p90(this.#done.map((d) => d.detected)),
        plainReceiversP90Ms: p90(this.#done.map((d) => d.plain)),
        browserReceiverP90Ms: p90(this.#done.map((d) => d.browser)),
        detectedTurns: this.#done.filter((d) => d.detected !== null).length,
        plainReceiversTurns: this.#done.filter((d) => d.plain !== null).length,
        browserReceiverTurns: this.#done.filter((d) => d.browser !== null).length,
      },
    };
  }
}

/** BENCH_DEBUG: when each step of a change of speaker happened, from the turn's start. */
class TurnTimeline {
  #start = 0;
  #speaker = '';
  #marks: string[] = [];
  #staged = false;
  readonly #reached = new Set<string>();
  readonly #voiced = new Set<string>();
  /** The central page's layers of the speaker, as last marked. */
  #centralLayers = '';

  start(at: number, speaker: string): void {
    this.#start = at;
    this.#speaker = speaker;
    this.#marks = [];
    this.#staged = false;
    this.#reached.clear();
    this.#voiced.clear();
  }

  voice(pointId: string): void {
    if (!this.#voiced.has(pointId)) {
      this.#voiced.add(pointId);
      this.mark(`voice ${pointId}`);
    }
  }

  mark(what: string): void {
    this.#marks.push(`${what} +${Date.now() - this.#start}`);
  }

  watch(stageSpeaker: string | null, layers: readonly (readonly [string, number])[]): void {
    if (!this.#staged && stageSpeaker === this.#speaker) {
      this.#staged = true;
      this.mark('staged');
    }
    for (const [receiver, spatial] of layers) {
      if (spatial >= 2 && !this.#reached.has(receiver)) {
        this.#reached.add(receiver);
        this.mark(`top@${receiver}`);
      }
    }
  }

  /**
   * The central page's consumer of the speaker, each time its layers change, with its
   * transport's bandwidth estimate then: whether mediasoup's estimate or its layer
   * gates hold the browser's top layer back.
   */
  central(layers: string, bwe: string): void {
    if (layers !== this.#centralLayers) {
      this.#centralLayers = layers;
      this.mark(`central ${layers} [${bwe}]`);
    }
  }

  print(label: string): void {
    console.log(`${label} (${this.#speaker}): ${this.#marks.join(', ')}`);
  }
}

// The constrained delegate's line is shaped with tc on a loopback of the bench's own.
if (CONSTRAINED_KBPS > 0) {
  await inOwnNetworkNamespace(import.meta.url, run);
} else {
  await run();
}

async function run(): Promise<void> {
  if (CONSTRAINED_KBPS > 0) {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
  }
  dir = tempDir('bench-bw');
  ffmpeg = resolveFfmpeg(null).path;
  console.log('encoding the simulcast clips (once)…');
  clips = makeSimulcastClips(dir);
  sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  sink.on('message', () => undefined);
  // Alone in its namespace, loopback is the pages' only interface.
  browser = await launchBrowser(
    CONSTRAINED_KBPS > 0 ? ['--allow-loopback-in-peer-connection'] : [],
  );
  try {
    console.log(
      `11 points (2 Chromium + ${SYNTHETIC} synthetic simulcast), delegates ${DOWNLINK_MBPS} Mbit/s, ${SECONDS} s per phase`,
    );
    const { figures: baseline, windows: ungoverned } = await phase(null);
    console.log(`without the governor: ${JSON.stringify(baseline)}`);
    const byBudget: Record<string, Figures> = {};
    for (const budget of BUDGETS) {
      byBudget[budget] = (await phase(budget)).figures;
      console.log(`with it at ${budget} Mbit/s: ${JSON.stringify(byBudget[budget])}`);
    }
    const recorded = RECORDED ? (await phase(MAIN, true)).figures : null;
    if (recorded) {
      console.log(`with it at ${MAIN} Mbit/s, recorded: ${JSON.stringify(recorded)}`);
    }
    const within = (budget: number): number =>
      round((ungoverned.filter((k) => k <= budget * 1000).length / ungoverned.length) * 100);
    const main = byBudget[MAIN] as Figures;
    console.log(
      JSON.stringify({
        bench: 'bandwidth',
        points: 11,
        chromiumPoints: 2,
        syntheticPoints: SYNTHETIC,
        seconds: SECONDS,
        budgetMbps: MAIN,
        delegateDownlinkMbps: DOWNLINK_MBPS,
        ...main,
        // Ratios from the same run travel better between noisy machines.
        egressP50VsBaseline: round(main.egressP50Kbps / baseline.egressP50Kbps, 2),
        ingressP50VsBaseline: round(main.ingressP50Kbps / baseline.ingressP50Kbps, 2),
        byBudget,
        ...(recorded ? { recorded } : {}),
        baseline: {
          ...baseline,
          egressWithinBudgetPct: within(MAIN),
          egressWithinBudgetPctAt: Object.fromEntries(BUDGETS.map((b) => [b, within(b)])),
        },
      }),
    );
  } finally {
    await browser.close();
    sink.close();
  }
}

/** One phase: the governor at `budgetMbps`, or none (null); every point recorded or none. */
async function phase(
  budgetMbps: number | null,
  recorded = false,
): Promise<{ figures: Figures; windows: number[] }> {
  const data = path.join(dir, `phase-${budgetMbps ?? 'none'}${recorded ? '-recorded' : ''}`);
  mkdirSync(data, { recursive: true });
  const server: Server = await startInProcessServer(data, {
    env: {
      DIEMCAU_RECORDER_AUTO_START: String(recorded),
      DIEMCAU_BANDWIDTH_ENABLED: String(budgetMbps !== null),
      DIEMCAU_BANDWIDTH_LINK_MBPS: String(budgetMbps ?? 30),
      DIEMCAU_BANDWIDTH_DELEGATE_DOWNLINK_MBPS: String(DOWNLINK_MBPS),
      DIEMCAU_BANDWIDTH_CENTRAL_ON_LAN: 'false',
    },
  });
  const pages: Page[] = [];
  const synthetic: { peer: Peer; publisher: SimulcastPublisher }[] = [];
  try {
    for (const [i, id] of ['central', 'd1'].entries()) {
      const token = tokens.issue(
        {
          sessionId: SESSION,
          pointId: id,
          role: i === 0 ? 'host' : 'delegate',
          pointName: id,
          pointKind: i === 0 ? 'central' : 'delegate',
        },
        3600,
      );
      const page = await joinPage(
        browser,
        server.url,
        token,
        id === 'd1' ? { initScript: TRACK_PEER_CONNECTIONS_SCRIPT } : {},
      );
      await page.evaluate(() =>
        (
          globalThis as unknown as { diemcauSession: { setMicMuted(m: boolean): Promise<void> } }
        ).diemcauSession.setMicMuted(true),
      );
      pages.push(page);
    }
    const room: Room = (await server.sessions.open(SESSION)).room;
    for (let i = 2; i < 2 + SYNTHETIC; i++) {
      synthetic.push(await addSyntheticPoint(room, `d${i}`));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const constrained = pages[1] as Page;
    if (CONSTRAINED_KBPS > 0) {
      // What reaches the delegate's page goes through its narrow line; what it sends does not.
      narrowPorts(await peerConnectionPorts(constrained), CONSTRAINED_KBPS, ['dport'], 50);
    }
    const line: LineSample[] = [];
    let bwe = '';
    if (process.env['BENCH_DEBUG']) {
      for (const transport of room.peers.get('central')?.transports.values() ?? []) {
        if (isRecvTransport(transport)) {
          await transport.enableTraceEvent(['bwe']);
          (transport as types.WebRtcTransport).on('trace', (trace) => {
            const info = trace.info as { availableBitrate?: number; desiredBitrate?: number };
            bwe = `available ${round((info.availableBitrate ?? 0) / 1000)}, desired ${round((info.desiredBitrate ?? 0) / 1000)} kbit/s`;
          });
        }
      }
    }

    const workerPids = server.pool.health().workers.map((w) => w.pid as number);
    const cpu0 = workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const changes = new Map<string, number>();
    /** When each video consumer reached its top layer (null: below it now). */
    const topSince = new Map<string, number | null>();
    const watched = new WeakSet<types.Consumer>();
    const videoConsumers = (): { consumer: types.Consumer; receiver: Peer }[] =>
      [...room.peers.values()].flatMap((p) =>
        [...p.consumers.values()]
          .filter((c) => c.kind === 'video' && !c.closed)
          .map((consumer) => ({ consumer, receiver: p })),
      );
    const sourceOf = (c: types.Consumer): string =>
      (c.appData as { source?: string }).source ?? 'camera';

    const egress: number[] = [];
    const ingress: number[] = [];
    let delegateWindows = 0;
    let delegateWithin = 0;
    let audioPaused = 0;
    const turns = new SpeakerTurns();
    const meter = new LinkMeter();
    let turn = -1;
    let screen: 'before' | 'on' | 'off' = 'before';
    // BENCH_DEBUG: where a turn's time goes (detected, on the stage, each receiver's top layer).
    timeline = process.env['BENCH_DEBUG'] ? new TurnTimeline() : null;
    // BENCH_DEBUG: how long the governor's rounds take (a stage's change waits for one).
    const rounds: number[] = [];
    if (timeline) {
      const governor = server.bandwidth;
      const tick = governor.tick.bind(governor);
      governor.tick = async (now?: number): Promise<void> => {
        const began = performance.now();
        await tick(now);
        rounds.push(performance.now() - began);
      };
    }
    room.media.on('activespeaker', (pointId) => {
      turns.detected(pointId);
      timeline?.mark(`loudest ${pointId}`);
    });
    // The first level each point's voice shows in a turn: where a new speaker's hold starts.
    room.media.on('voice', (pointId) => timeline?.voice(pointId));
    const started = Date.now();
    // Windows of one second on the clock, not "a second or more since the last": a
    // window of 1.0–1.2 s counts more than a second's frames, a burst no link carries.
    let nextWindow = started + 1000;

    while (Date.now() - started < SECONDS * 1000) {
      const now = Date.now();
      const t = Math.floor((now - started) / TURN_MS);
      const speaker = synthetic[t % SYNTHETIC] as (typeof synthetic)[number];
      if (t !== turn) {
        if (process.env['BENCH_DEBUG'] && turn >= 0) {
          const previous = synthetic[turn % SYNTHETIC];
          console.log(
            `turn ${turn}: speaker ${previous?.peer.pointId}, loudest ${room.media.activeSpeaker}:`,
            videoConsumers()
              .filter((c) => c.consumer.producerId === previous?.publisher.cameraProducerId)
              .map(
                (c) =>
                  `${c.receiver.pointId}:${c.consumer.preferredLayers?.spatialLayer}/${c.consumer.currentLayers?.spatialLayer}`,
              )
              .join(' '),
          );
        }
        timeline?.print(`turn ${turn}`);
        turn = t;
        // The phase's first turn is the session's first seconds (every picture starting
        // at once, the costs not yet measured), not a change of speaker.
        turns.start(now, t === 0 ? null : speaker.peer.pointId);
        timeline?.start(now, speaker.peer.pointId);
        for (const s of synthetic) {
          const mic = s.peer.producerBySource('mic');
          if (mic) {
            await room.setProducerPaused(s.peer, mic.id, s !== speaker);
          }
        }
      }
      // As the room page asks: the speaker large, everyone else as a thumbnail.
      for (const s of synthetic) {
        for (const consumer of s.peer.consumers.values()) {
          if (consumer.kind !== 'video' || consumer.type !== 'simulcast') {
            continue;
          }
          const wish = consumer.producerId === speaker.publisher.cameraProducerId ? 2 : 0;
          if (room.media.wishOf(consumer.id)?.spatial !== wish) {
            await room.media
              .setConsumerPreferredLayers(s.peer, consumer.id, wish, undefined)
              .catch(() => undefined);
          }
        }
      }
      const share = synthetic[1] as (typeof synthetic)[number];
      if (screen === 'before' && now - started > (SECONDS * 1000) / 3) {
        screen = 'on';
        await share.publisher.shareScreen();
      } else if (screen === 'on' && now - started > (SECONDS * 2000) / 3) {
        screen = 'off';
        share.publisher.stopScreen();
      }
      for (const { consumer } of videoConsumers()) {
        if (!watched.has(consumer)) {
          watched.add(consumer);
          topSince.set(consumer.id, (consumer.currentLayers?.spatialLayer ?? -1) >= 2 ? now : null);
          consumer.on('layerschange', (layers) => {
            changes.set(consumer.id, (changes.get(consumer.id) ?? 0) + 1);
            const top = (layers?.spatialLayer ?? -1) >= 2;
            if (!top) {
              topSince.set(consumer.id, null);
            } else if ((topSince.get(consumer.id) ?? null) === null) {
              topSince.set(consumer.id, Date.now());
            }
          });
        }
      }
      const ofSpeaker = videoConsumers().filter(
        (c) => c.consumer.producerId === speaker.publisher.cameraProducerId,
      );
      const atCentral = ofSpeaker.find((c) => c.receiver.pointId === 'central')?.consumer;
      const status = timeline ? server.bandwidth.status(SESSION) : null;
      if (timeline && atCentral) {
        // What holds the central page's picture of the speaker: its wish, the
        // governor's ceiling, what the plan lets it receive, or mediasoup.
        const ceiling = status?.consumers.find((c) => c.consumerId === atCentral.id)?.layers;
        const down = status?.points.find((p) => p.pointId === 'central')?.downlinkKbps;
        timeline.central(
          `wish ${room.media.wishOf(atCentral.id)?.spatial} ceiling ${ceiling === undefined ? '-' : (ceiling?.spatial ?? 'paused')} ${atCentral.preferredLayers?.spatialLayer}/${atCentral.currentLayers?.spatialLayer}`,
          `${bwe}; planned under ${down === undefined ? '-' : round(down)} kbit/s`,
        );
      }
      timeline?.watch(
        status?.stageSpeaker ?? null,
        ofSpeaker.map((c) => [c.receiver.pointId, c.consumer.currentLayers?.spatialLayer ?? -1]),
      );
      // The speaker's picture at its top layer for every receiver.
      turns.watch(
        now,
        ofSpeaker
          .filter(
            (c) =>
              !c.consumer.paused &&
              sourceOf(c.consumer) === 'camera' &&
              // Its narrow line holds the top layer out: its own figures say how it fares.
              !(CONSTRAINED_KBPS > 0 && c.receiver.pointId === 'd1'),
          )
          .map((c) => ({
            browser: !synthetic.some((x) => x.peer === c.receiver),
            top: (c.consumer.currentLayers?.spatialLayer ?? -1) >= 2,
            topAt: topSince.get(c.consumer.id) ?? now,
          })),
      );
      if (now >= nextWindow) {
        nextWindow += 1000 * Math.max(1, Math.ceil((now - nextWindow + 1) / 1000));
        const link = await meter.window(room);
        let out = 0;
        for (const peer of room.peers.values()) {
          const peerSent = link.sentKbps.get(peer.pointId) ?? 0;
          out += peerSent;
          if (peer.pointId !== 'central') {
            delegateWindows++;
            if (peerSent <= DOWNLINK_MBPS * 1000) {
              delegateWithin++;
            }
          }
          for (const c of peer.consumers.values()) {
            if (c.kind === 'audio' && c.paused && !c.producerPaused) {
              audioPaused++;
            }
          }
        }
        egress.push(out);
        ingress.push(link.receivedKbps);
        if (process.env['BENCH_DEBUG'] && budgetMbps !== null && out > budgetMbps * 1000) {
          const plan = server.bandwidth.status(SESSION);
          console.log(
            `over at ${round((now - started) / 1000)} s: ${round(out)} kbit/s; planned ${plan?.plannedKbps} (video ${plan?.videoKbps}, sound ${plan?.audioKbps}, RTX+probing ${plan?.overheadKbps}, margin ${plan?.marginKbps}; the server counted ${plan?.sentKbps} sent), screen ${screen}`,
          );
          const byPoint = [...link.sentKbps].sort((a, b) => b[1] - a[1]).slice(0, 4);
          const extra: string[] = [];
          for (const [pointId, kbps] of byPoint) {
            let rtx = 0;
            let probing = 0;
            for (const tr of room.peers.get(pointId)?.transports.values() ?? []) {
              if (isRecvTransport(tr)) {
                const [st] = (await tr.getStats()) as {
                  rtxSendBitrate?: number;
                  probationSendBitrate?: number;
                }[];
                rtx += (st?.rtxSendBitrate ?? 0) / 1000;
                probing += (st?.probationSendBitrate ?? 0) / 1000;
              }
            }
            extra.push(`${pointId} ${round(kbps)} (rtx ${round(rtx)}, probing ${round(probing)})`);
          }
          console.log(`  most sent to: ${extra.join('; ')}`);
        }
        if (CONSTRAINED_KBPS > 0) {
          line.push(await sampleLine(constrained));
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(100, nextWindow - Date.now()))));
    }
    turns.start(Date.now(), null);
    // A call while a round runs only asks for one more after it: not a round.
    rounds.splice(0, rounds.length, ...rounds.filter((ms) => ms >= 1));
    if (rounds.length > 0) {
      console.log(
        `governor rounds: ${rounds.length}, p50 ${round(percentile(rounds, 50))} ms, ` +
          `p90 ${round(percentile(rounds, 90))} ms, max ${round(Math.max(...rounds))} ms`,
      );
    }
    const elapsed = (Date.now() - started) / 1000;
    const cpu = workerPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpu0;
    // The first window of each counter has no "before": dropped with it.
    const windows = egress.slice(1);
    const sorted = [...windows].sort((a, b) => a - b);
    const budget = (budgetMbps ?? MAIN) * 1000;
    return {
      windows,
      figures: {
        egressWithinBudgetPct: round(
          (windows.filter((k) => k <= budget).length / Math.max(1, windows.length)) * 100,
        ),
        egressP50Kbps: round(percentile(windows, 50)),
        egressMaxKbps: round(sorted[sorted.length - 1] ?? 0),
        ingressP50Kbps: round(percentile(ingress.slice(1), 50)),
        delegatesWithinDownlinkPct: round((delegateWithin / Math.max(1, delegateWindows)) * 100),
        ...turns.figures(),
        audioPausedCount: audioPaused,
        layerChangesPerConsumerMinute: round(
          [...changes.values()].reduce((a, b) => a + b, 0) /
            Math.max(1, changes.size) /
            (SECONDS / 60),
          2,
        ),
        workersCpuPct: round((cpu / elapsed) * 100),
        constrainedDelegate: CONSTRAINED_KBPS > 0 ? lineFigures(line) : null,
      },
    };
  } finally {
    if (CONSTRAINED_KBPS > 0) {
      spawnSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
    }
    for (const s of synthetic) {
      s.publisher.close();
    }
    for (const p of pages) {
      await p.context().close();
    }
    await server.close();
  }
}

/**
 * A synthetic point: publishes through a SimulcastPublisher (which follows the
 * server's `publishLayers`), receives everyone on a PlainTransport into the sink.
 */
async function addSyntheticPoint(
  room: Room,
  pointId: string,
): Promise<{ peer: Peer; publisher: SimulcastPublisher }> {
  let publisher: SimulcastPublisher | null = null;
  const peer = await joinSyntheticReceiver(
    room,
    pointId,
    (sink.address() as { port: number }).port,
    {
      rtpCapabilities: withoutFeedback(await room.rtpCapabilities()),
      onNotify: (method, data) => {
        if (method === 'publishLayers') {
          const d = data as { producerId: string; maxSpatialLayer: number };
          publisher?.setMaxSpatialLayer(d.producerId, d.maxSpatialLayer);
          timeline?.mark(`${pointId} sends to layer ${d.maxSpatialLayer}`);
        }
      },
    },
  );
  publisher = await SimulcastPublisher.start(room, peer, clips, ffmpeg);
  return { peer, publisher };
}

interface LineSample {
  at: number;
  /** Who is on the page's stage, and the frames its picture has shown so far. */
  stage: string | null;
  stageFrames: number | null;
  audioPackets: number;
  bytesReceived: number;
}

/** What the constrained page shows and receives now (its peer connections tracked). */
function sampleLine(page: Page): Promise<LineSample> {
  return page.evaluate(async () => {
    const tile = document.querySelector<HTMLElement>('.tile[data-stage="true"]');
    const video = tile?.querySelector('video');
    let audioPackets = 0;
    let bytesReceived = 0;
    for (const pc of (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      (await pc.getStats()).forEach(
        (r: { type: string; kind?: string } & Record<string, unknown>) => {
          if (r.type === 'inbound-rtp') {
            bytesReceived += Number(r['bytesReceived'] ?? 0);
            if (r.kind === 'audio') {
              audioPackets += Number(r['packetsReceived'] ?? 0);
            }
          }
        },
      );
    }
    return {
      at: Date.now(),
      stage: tile?.dataset['pointId'] ?? null,
      stageFrames: video ? video.getVideoPlaybackQuality().totalVideoFrames : null,
      audioPackets,
      bytesReceived,
    };
  });
}

/** Per 1 s window: what the page received, whether its stage froze, whether sound came. */
function lineFigures(samples: readonly LineSample[]): ConstrainedFigures {
  const kbps: number[] = [];
  let stageWindows = 0;
  let frozen = 0;
  let stalled = 0;
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1] as LineSample, samples[i] as LineSample];
    const seconds = Math.max(0.001, (b.at - a.at) / 1000);
    kbps.push(((b.bytesReceived - a.bytesReceived) * 8) / seconds / 1000);
    if (b.audioPackets <= a.audioPackets) {
      stalled++;
    }
    // A window in which the stage changed hands is a change of picture, not a freeze.
    if (
      a.stage !== null &&
      a.stage === b.stage &&
      a.stageFrames !== null &&
      b.stageFrames !== null
    ) {
      stageWindows++;
      if (b.stageFrames <= a.stageFrames) {
        frozen++;
      }
    }
  }
  const windows = Math.max(1, samples.length - 1);
  return {
    lineKbps: CONSTRAINED_KBPS,
    receivedKbpsP50: round(kbps.length ? percentile(kbps, 50) : 0),
    stageFrozenPct: round((frozen / Math.max(1, stageWindows)) * 100, 1),
    audioStalledPct: round((stalled / windows) * 100, 1),
    windows,
  };
}
