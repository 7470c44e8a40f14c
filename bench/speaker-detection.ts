/**
 * How soon mediasoup's speaker detection names a new speaker, at diemcau's decision
 * interval beside mediasoup's and Jitsi's default (300 ms), on the same voices in one
 * run: one worker, a router per interval, six points whose microphones (RFC 6464 audio
 * levels every 20 ms, as a browser sends them) reach every router at once. The speaker
 * changes every BENCH_TURN_MS (default 4000) for BENCH_TURNS (default 20) turns; a voice
 * is syllables of uneven length (a seeded random, the same every run), loud at -20 to
 * -35 dBov with softer gaps. Every other turn the last speaker finishes its sentence
 * half a second into the next one's. Measured from the new speaker's first word to
 * the detection naming it; a turn it never names counts as missed, and a point named
 * that is not the one speaking counts as a wrong call. Last line: JSON.
 */
import dgram from 'node:dgram';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { SPEAKER_INTERVAL_MS } from '../src/sfu/RoomMedia.js';
import {
  PACKET_MS,
  QUIET,
  voicePacket,
  voiceRtpParameters,
} from '../test/helpers/voiceRtpSender.js';
import { resolveWorkerBinary } from '../workers/workerBinary.js';
import { median, percentile, round } from './procStats.js';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 20);
const TURN_MS = Number(process.env['BENCH_TURN_MS'] ?? 4000);
const POINTS = 6;
const OVERLAP_MS = 500;
const DEFAULT_INTERVAL_MS = 300;
const INTERVALS = [...new Set([DEFAULT_INTERVAL_MS, 150, SPEAKER_INTERVAL_MS])];

interface Detector {
  interval: number;
  ports: number[];
  named: { at: number; point: number }[];
}

/** A small seeded random (mulberry32): the same voices every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Speech as levels: syllables of 120–300 ms, gaps of 40–200 ms between them. */
class Voice {
  readonly #random: () => number;
  #loud = false;
  #until = 0;

  constructor(seed: number) {
    this.#random = seeded(seed);
  }

  level(now: number, speaking: boolean): number {
    if (!speaking) {
      return QUIET;
    }
    if (now >= this.#until) {
      this.#loud = !this.#loud;
      this.#until = now + (this.#loud ? 120 + this.#random() * 180 : 40 + this.#random() * 160);
    }
    return Math.round(this.#loud ? 20 + this.#random() * 15 : 50 + this.#random() * 10);
  }
}

async function detector(router: types.Router, interval: number): Promise<Detector> {
  const observer = await router.createActiveSpeakerObserver({ interval });
  const d: Detector = { interval, ports: [], named: [] };
  observer.on('dominantspeaker', ({ producer }) =>
    d.named.push({ at: Date.now(), point: (producer.appData as { point: number }).point }),
  );
  for (let point = 0; point < POINTS; point++) {
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    const producer = await transport.produce({
      kind: 'audio',
      appData: { point },
      rtpParameters: voiceRtpParameters(1000 + point),
    });
    await observer.addProducer({ producerId: producer.id });
    d.ports.push(transport.tuple.localPort);
  }
  return d;
}

const worker = await mediasoup.createWorker({
  workerBin: resolveWorkerBinary(null).path,
  logLevel: 'warn',
});
const codecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];
const detectors: Detector[] = [];
for (const interval of INTERVALS) {
  detectors.push(await detector(await worker.createRouter({ mediaCodecs: codecs }), interval));
}
const socket = dgram.createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

const voices = Array.from({ length: POINTS }, (_, i) => new Voice(i + 1));
/** Who speaks, and until when (ms) the one before still does. */
let speaker = -1;
let previous = -1;
let previousUntil = 0;
let seq = 0;
const sender = setInterval(() => {
  const now = Date.now();
  seq++;
  voices.forEach((voice, point) => {
    const speaking = point === speaker || (point === previous && now < previousUntil);
    const rtp = voicePacket(1000 + point, seq, seq * 48 * PACKET_MS, voice.level(now, speaking));
    for (const d of detectors) {
      socket.send(rtp, d.ports[point] as number, '127.0.0.1');
    }
  });
}, PACKET_MS);

// A second of a quiet room first: the detection learns each microphone's floor.
await new Promise((r) => setTimeout(r, 1000));
const latency = new Map<number, number[]>(INTERVALS.map((i) => [i, []]));
const missed = new Map<number, number>(INTERVALS.map((i) => [i, 0]));
const wrong = new Map<number, number>(INTERVALS.map((i) => [i, 0]));
for (let turn = 0; turn < TURNS; turn++) {
  previous = speaker;
  previousUntil = Date.now() + (turn % 2 === 1 ? OVERLAP_MS : 0);
  speaker = turn % POINTS;
  const start = Date.now();
  await new Promise((r) => setTimeout(r, TURN_MS));
  for (const d of detectors) {
    const calls = d.named.filter((n) => n.at >= start && n.at < start + TURN_MS);
    const hit = calls.find((n) => n.point === speaker);
    // The first turn is a first voice in a quiet room, not a change of speaker.
    if (turn === 0) {
      continue;
    }
    if (hit) {
      latency.get(d.interval)?.push(hit.at - start);
    } else {
      missed.set(d.interval, (missed.get(d.interval) ?? 0) + 1);
    }
    // The last speaker named again before the new one is a late call, not a wrong one.
    const others = calls.filter((n) => n.point !== speaker && n.point !== previous);
    wrong.set(d.interval, (wrong.get(d.interval) ?? 0) + others.length);
  }
  const figures = detectors.map((d) => {
    const hit = d.named.find((n) => n.at >= start && n.point === speaker);
    return `${d.interval} ms: ${hit && hit.at < start + TURN_MS ? `${hit.at - start} ms` : 'missed'}`;
  });
  console.log(`turn ${turn + 1}/${TURNS}, point ${speaker}: named after ${figures.join(', ')}`);
}
clearInterval(sender);
socket.close();
worker.close();

const byInterval = Object.fromEntries(
  INTERVALS.map((interval) => {
    const of = latency.get(interval) ?? [];
    return [
      String(interval),
      {
        namedP50Ms: of.length > 0 ? round(median(of)) : null,
        namedP90Ms: of.length > 0 ? round(percentile(of, 90)) : null,
        namedMaxMs: of.length > 0 ? Math.max(...of) : null,
        missedTurns: missed.get(interval) ?? 0,
        wrongCalls: wrong.get(interval) ?? 0,
      },
    ];
  }),
);
const p90 = (interval: number): number | null =>
  (byInterval[String(interval)] as { namedP90Ms: number | null }).namedP90Ms;
const ours = p90(SPEAKER_INTERVAL_MS);
const theirs = p90(DEFAULT_INTERVAL_MS);
for (const [interval, f] of Object.entries(byInterval)) {
  console.log(
    `interval ${interval} ms: named p50 ${f.namedP50Ms} ms, p90 ${f.namedP90Ms} ms, ` +
      `max ${f.namedMaxMs} ms; missed ${f.missedTurns}, wrong calls ${f.wrongCalls}`,
  );
}
console.log(
  JSON.stringify({
    bench: 'speaker-detection',
    turns: TURNS,
    turnMs: TURN_MS,
    intervalMs: SPEAKER_INTERVAL_MS,
    namedP90Ms: ours,
    namedP90RatioVsDefault: ours !== null && theirs ? round(ours / theirs, 2) : null,
    byInterval,
  }),
);
