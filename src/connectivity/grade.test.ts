import t from 'tap';
import type { ClientFigures, ServerFigures } from '../../protocol/connectivity.js';
import { gradeTest } from './grade.js';
import type { LinkThresholds } from '../config/schema.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../common/paths.js';

const defaults = JSON.parse(
  readFileSync(path.join(projectRoot, 'config', 'default.json'), 'utf8'),
) as { connectivity: { delegate: LinkThresholds; central: LinkThresholds } };
const delegate = defaults.connectivity.delegate;

const good: ClientFigures = {
  seconds: 15,
  upKbps: 1400,
  downKbps: 1900,
  availableOutgoingKbps: 2500,
  availableIncomingKbps: null,
  rttMs: 40,
  upLossPct: 0,
  downLossPct: 0.2,
  upJitterMs: 4,
  downJitterMs: 6,
  transport: 'udp',
  framesDecoded: 3000,
  videoCopies: 9,
  videoCopiesDecoding: 9,
  camera: { found: true, picture: true, meanLuma: 90 },
  microphone: { found: true, sound: true, peakDb: -12 },
  userAgent: 'Chrome',
  platform: 'Windows',
};
const server: ServerFigures = {
  recvKbps: 1400,
  sendKbps: 1900,
  availableOutgoingKbps: 2200,
  protocol: 'udp',
  videoLayersHeldBack: 0,
  producerScore: 10,
  consumerScore: 10,
};

t.test('a good link on a delegate PC passes, with nothing to say', (t) => {
  t.same(gradeTest(good, server, delegate), { grade: 'pass', findings: [] });
  t.end();
});

t.test('each threshold grades warn, then fail, for its own reason', (t) => {
  const cases: [Partial<ClientFigures>, string, 'warn' | 'fail'][] = [
    [{ upKbps: 700, availableOutgoingKbps: 700 }, 'upstream-slow', 'warn'],
    [{ upKbps: 300, availableOutgoingKbps: 300 }, 'upstream-slow', 'fail'],
    [{ upLossPct: 5 }, 'loss-up', 'warn'],
    [{ downLossPct: 12 }, 'loss-down', 'fail'],
    [{ rttMs: 450 }, 'rtt-high', 'warn'],
    [{ rttMs: 900 }, 'rtt-high', 'fail'],
    [{ downJitterMs: 150 }, 'jitter-high', 'fail'],
    [{ transport: 'tcp' }, 'tcp-only', 'warn'],
    [{ camera: { found: true, picture: false, meanLuma: 2 } }, 'camera-black', 'fail'],
    [{ microphone: { found: false, sound: false, peakDb: null } }, 'no-microphone', 'fail'],
    [{ microphone: { found: true, sound: false, peakDb: null } }, 'microphone-silent', 'fail'],
    [{ videoCopiesDecoding: 0 }, 'no-video-back', 'fail'],
  ];
  for (const [change, code, grade] of cases) {
    const r = gradeTest({ ...good, ...change }, server, delegate);
    t.equal(r.grade, grade, `${code}: ${grade}`);
    t.same(
      r.findings.map((f) => f.code),
      [code],
      `${code}: the only finding`,
    );
    t.ok(r.findings[0]?.message.vi && r.findings[0].message.en, `${code}: said in both languages`);
  }
  t.end();
});

t.test('downstream is slow only when the SFU had to hold copies back', (t) => {
  const little = { ...good, downKbps: 600 };
  const held = { ...server, videoLayersHeldBack: 3 };
  t.equal(
    gradeTest(little, { ...server, availableOutgoingKbps: 600 }, delegate).grade,
    'pass',
    'a still camera sends little, and all of it arrived',
  );
  t.equal(gradeTest(little, held, delegate).grade, 'pass', 'the SFU estimate says 2.2 Mbit/s');
  const r = gradeTest(little, { ...held, availableOutgoingKbps: 600 }, delegate);
  t.equal(r.grade, 'fail');
  t.equal(r.findings[0]?.code, 'downstream-slow');
  t.equal(r.findings[0]?.value, 600);
  t.end();
});

t.test('nothing reached the server: one finding that says so', (t) => {
  const r = gradeTest({ ...good, upKbps: 0, downKbps: 0 }, { ...server, recvKbps: 0 }, delegate);
  t.equal(r.grade, 'fail');
  t.same(
    r.findings.map((f) => f.code),
    ['no-media'],
  );
  t.match(r.findings[0]?.message.vi, /tường lửa/);
  t.end();
});

t.test('the central point is held to its LAN: an RTT fine for a delegate warns there', (t) => {
  const r = gradeTest({ ...good, rttMs: 150 }, server, defaults.connectivity.central);
  t.equal(r.grade, 'warn');
  t.equal(gradeTest({ ...good, rttMs: 150 }, server, delegate).grade, 'pass');
  t.end();
});
