import t from 'tap';
import {
  type Gap,
  type TimelineEvent,
  archiveCompleteness,
  describeGap,
} from './archiveCompleteness.js';
import type { ManifestFile } from './manifest.js';

const T0 = Date.parse('2026-12-03T08:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const ev = (s: number, type: string, fields: Partial<TimelineEvent> = {}): TimelineEvent => ({
  at: at(s),
  type,
  ...fields,
});
const started = (s: number, pointId: string, name: string): TimelineEvent =>
  ev(s, 'recording-started', { pointId, detail: { kind: 'av', name } });
const stopped = (s: number, pointId: string, name: string): TimelineEvent =>
  ev(s, 'recording-stopped', { pointId, detail: { kind: 'av', name } });
const file = (run: string, pointId: string, from: number, to: number): ManifestFile => ({
  file: `media/${run}.mkv`,
  sha256: 'x',
  bytes: 1,
  kind: 'av',
  pointId,
  run,
  start: at(from),
  end: at(to),
});

t.test('a point recorded for as long as its run: no gap', (t) => {
  const { gaps, pauses } = archiveCompleteness(
    [
      ev(0, 'point-joined', { pointId: 'a' }),
      started(1, 'a', 'a-1'),
      ev(60, 'point-left', { pointId: 'a' }),
      stopped(61, 'a', 'a-1'),
    ],
    [file('a-1', 'a', 1.2, 59.9)],
    at(62),
  );
  t.same(gaps, []);
  t.same(pauses, []);
  t.end();
});

t.test('a run that left no media, or half of it, is a gap', (t) => {
  const { gaps } = archiveCompleteness(
    [
      started(10, 'b', 'b-1'),
      stopped(12.4, 'b', 'b-1'),
      started(20, 'c', 'c-1'),
      stopped(80, 'c', 'c-1'),
    ],
    [file('c-1', 'c', 20, 50)],
    at(90),
  );
  t.equal(gaps.length, 2);
  t.match(describeGap(gaps[0] as (typeof gaps)[0]), /^b: 2\.4 s not recorded from .*left no media/);
  t.match(describeGap(gaps[1] as (typeof gaps)[0]), /^c: 30 s not recorded .*left 30 s of 60 s/);
  t.end();
});

t.test('a crash is a gap for its point, from the interruption to the resumption', (t) => {
  const { gaps } = archiveCompleteness(
    [
      started(0, 'a', 'a-1'),
      ev(30, 'recording-interrupted', {
        pointId: 'a',
        detail: { kind: 'av', name: 'a-1', reason: 'ffmpeg exited (1)' },
      }),
      started(30.6, 'a', 'a-2'),
      ev(30.6, 'recording-resumed', {
        pointId: 'a',
        detail: { kind: 'av', name: 'a-2', gapMs: 600, after: 'ffmpeg exited (1)' },
      }),
      stopped(60, 'a', 'a-2'),
    ],
    [file('a-1', 'a', 0, 29.5), file('a-2', 'a', 30.6, 60)],
    at(61),
  );
  t.same(gaps.map(describeGap), [`a: 0.6 s not recorded from ${at(30)} (ffmpeg exited (1))`]);
  t.end();
});

t.test('an interruption never resumed runs until the point left', (t) => {
  const { gaps } = archiveCompleteness(
    [
      started(0, 'a', 'a-1'),
      ev(10, 'recording-interrupted', {
        pointId: 'a',
        detail: { kind: 'av', name: 'a-1', reason: 'the recorder process died' },
      }),
      ev(25, 'point-left', { pointId: 'a' }),
    ],
    [file('a-1', 'a', 0, 10)],
    at(30),
  );
  t.same(gaps.map(describeGap), [
    `a: 15 s not recorded from ${at(10)} (the recorder process died)`,
  ]);
  t.end();
});

t.test('the chair switching the recording off is a pause; the disk alarm is a gap', (t) => {
  const { gaps, pauses } = archiveCompleteness(
    [
      started(0, 'a', 'a-1'),
      ev(10, 'recording-disabled', { by: 'central' }),
      stopped(10.2, 'a', 'a-1'),
      ev(40, 'recording-enabled', { by: 'central' }),
      started(40.3, 'a', 'a-2'),
      ev(70, 'recording-alarm', { detail: { reason: 'disk-low' } }),
      ev(70, 'recording-disabled', { by: 'recorder' }),
      stopped(70.2, 'a', 'a-2'),
      ev(100, 'recording-enabled', { by: 'recorder' }),
      started(100.3, 'a', 'a-3'),
      stopped(120, 'a', 'a-3'),
    ],
    [file('a-1', 'a', 0, 10), file('a-2', 'a', 40.3, 70), file('a-3', 'a', 100.3, 120)],
    at(121),
  );
  t.same(pauses, [{ by: 'central', from: at(10), to: at(40) }]);
  t.equal(gaps.length, 1);
  t.match(
    describeGap(gaps[0] as (typeof gaps)[0]),
    /^every point: 30 s not recorded .*low-disk alarm/,
  );
  t.end();
});

t.test('a point that sends nothing (microphone and camera paused) is no gap', (t) => {
  const run = (s: number): TimelineEvent =>
    ev(s, 'recording-started', {
      pointId: 'a',
      detail: { kind: 'av', name: 'a-1', sources: ['mic', 'camera'], paused: [] },
    });
  const events = [
    run(0),
    ev(4, 'source-paused', { pointId: 'a', detail: { source: 'mic' } }),
    ev(4.1, 'source-paused', { pointId: 'a', detail: { source: 'camera' } }),
    ev(19, 'source-resumed', { pointId: 'a', detail: { source: 'mic' } }),
    ev(19.1, 'source-resumed', { pointId: 'a', detail: { source: 'camera' } }),
    stopped(25, 'a', 'a-1'),
  ];
  // Its segments end when it went quiet and start again when it spoke.
  const files = [file('a-1', 'a', 0, 4.1), { ...file('a-1', 'a', 19.3, 25), file: 'media/x.mkv' }];
  t.same(archiveCompleteness(events, files, at(26)).gaps, [], 'silent, not missing');
  // With the camera still on, those 15 s should have been recorded.
  const cameraOn = events.filter((e) => e.detail?.['source'] !== 'camera');
  t.match(
    describeGap(archiveCompleteness(cameraOn, files, at(26)).gaps[0] as Gap),
    /^a: 15\.\d s not recorded/,
  );
  t.end();
});
