import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { makeTestClip } from '../test/helpers/media.js';
import { AuditLog } from './AuditLog.js';
import { resolveFfmpeg } from './ffmpegBinary.js';
import { type Manifest, type ManifestFile, readManifest, writeManifest } from './manifest.js';
import { sha256File } from '../common/sha256File.js';
import { verifyArchive } from './verifyArchive.js';

// Archives made by hand from a real recording, each with one thing wrong: what a failed
// recording leaves must never pass for a complete record.
const ffmpeg = resolveFfmpeg(null).path;
const clip = path.join(tempDir('verify-clip'), 'run.mkv');
makeTestClip(clip, { size: '320x240', videoBitrate: '200k', gop: 25, seconds: 6 });
const T0 = Date.parse('2026-12-03T08:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

async function archive(
  change: (a: {
    dir: string;
    files: ManifestFile[];
    events: Manifest['events'];
  }) => void = () => {},
): Promise<string> {
  const dir = tempDir('verify');
  mkdirSync(path.join(dir, 'media'));
  const file = 'media/a-av-1.mkv';
  copyFileSync(clip, path.join(dir, file));
  const files: ManifestFile[] = [
    {
      file,
      sha256: await sha256File(path.join(dir, file)),
      bytes: statSync(path.join(dir, file)).size,
      kind: 'av',
      pointId: 'a',
      start: at(0),
      end: at(6),
      run: 'a-av-1',
      joinedFrom: [],
    },
  ];
  const events: Manifest['events'] = [
    { at: at(0), type: 'recording-started', pointId: 'a', detail: { kind: 'av', name: 'a-av-1' } },
    { at: at(6), type: 'recording-stopped', pointId: 'a', detail: { kind: 'av', name: 'a-av-1' } },
  ];
  change({ dir, files, events });
  // Files added by `change` get their hashes as written: what is wrong is what it did.
  for (const f of files.filter((x) => x.sha256 === '')) {
    f.sha256 = await sha256File(path.join(dir, f.file));
  }
  const audit = AuditLog.open(path.join(dir, 'audit.jsonl'));
  for (const e of events) {
    audit.append({ sessionId: 's', ...e });
  }
  audit.close();
  await writeManifest(dir, {
    version: 1,
    session: { id: 's', openedAt: at(0) },
    points: [{ id: 'a', name: 'A', kind: 'delegate', role: 'delegate' }],
    events,
    files,
    composite: { status: 'done', progress: 1 },
    updatedAt: at(7),
  });
  return dir;
}

t.test('a whole archive is complete', async (t) => {
  const v = await verifyArchive(await archive(), { ffmpeg });
  t.same(v.problems, []);
  t.same(v.gaps, []);
  t.equal(v.status, 'complete');
  t.ok(v.ok);
});

t.test('an empty file, a file ffmpeg cannot open: damaged, named', async (t) => {
  const v = await verifyArchive(
    await archive(({ dir, files }) => {
      writeFileSync(path.join(dir, 'media/a-av-2.mkv'), '');
      writeFileSync(path.join(dir, 'media/a-av-3.mkv'), 'not a recording at all');
      for (const [name, bytes] of [
        ['media/a-av-2.mkv', 0],
        ['media/a-av-3.mkv', 22],
      ] as const) {
        files.push({
          file: name,
          sha256: '',
          bytes,
          kind: 'av',
          pointId: 'a',
          start: at(0),
          end: at(1),
        });
      }
    }),
    { ffmpeg },
  );
  t.equal(v.status, 'damaged');
  t.notOk(v.ok);
  t.match(v.problems.join('\n'), /a-av-2\.mkv: empty \(0 bytes\)/);
  t.match(v.problems.join('\n'), /a-av-3\.mkv: unreadable: ffmpeg cannot open it/);
});

t.test('a run that left nothing, a failed join, a failed composite: never "OK"', async (t) => {
  const noMedia = await verifyArchive(
    await archive(({ events }) => {
      events.push(
        {
          at: at(10),
          type: 'recording-started',
          pointId: 'b',
          detail: { kind: 'av', name: 'b-1' },
        },
        {
          at: at(12.4),
          type: 'recording-stopped',
          pointId: 'b',
          detail: { kind: 'av', name: 'b-1' },
        },
      );
    }),
    { ffmpeg },
  );
  t.equal(noMedia.status, 'with-gaps');
  t.match(noMedia.gaps[0], /^b: 2\.4 s not recorded .*left no media/);

  const joinFailed = await verifyArchive(
    await archive(({ events }) => {
      events.push({
        at: at(20),
        type: 'recording-join-failed',
        pointId: 'a',
        detail: { run: 'a-av-9', error: 'ffmpeg exited 1' },
      });
    }),
    { ffmpeg },
  );
  t.notOk(joinFailed.ok);
  t.match(joinFailed.problems[0], /a-av-9: its segments could not be joined/);

  const dir = await archive();
  const m = readManifest(dir) as Manifest;
  m.composite = { status: 'failed', progress: 0.4, detail: 'composite ffmpeg exited 1' };
  await writeManifest(dir, m);
  const compositeFailed = await verifyArchive(dir, { ffmpeg });
  t.equal(compositeFailed.status, 'composite-failed');
  t.notOk(compositeFailed.ok);
  t.match(
    compositeFailed.problems.join('\n'),
    /composite record failed: composite ffmpeg exited 1/,
  );
});

t.test('a file whose clock jumped by an hour is named, not taken for the run', async (t) => {
  const jumped = path.join(tempDir('verify-jump'), 'jump.mkv');
  execFileSync(ffmpeg, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    clip,
    '-c',
    'copy',
    '-bsf:v',
    'setts=ts=if(gt(N\\,10)\\,PTS+3600/TB\\,PTS)',
    jumped,
  ]);
  const v = await verifyArchive(
    await archive(({ dir, files }) => {
      copyFileSync(jumped, path.join(dir, 'media/a-av-1.mkv'));
      const f = files[0] as ManifestFile;
      f.sha256 = '';
      f.bytes = statSync(jumped).size;
    }),
    { ffmpeg },
  );
  t.equal(v.status, 'damaged');
  t.match(
    v.problems.join('\n'),
    /a-av-1\.mkv: its timeline jumps: it lasts 360\d\.\d s, its run was recorded for 6\.0 s/,
  );
});

t.test("a run's final file without duration or seek index is damaged, named", async (t) => {
  // What a muxer writes when it cannot seek back (a pipe, a crash before the trailer):
  // players show no length and seek badly. Every joined file must have both.
  const live = path.join(tempDir('verify-live'), 'live.mkv');
  const out = execFileSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-i', clip, '-c', 'copy', '-f', 'matroska', 'pipe:1'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(live, out);
  const v = await verifyArchive(
    await archive(({ dir, files }) => {
      copyFileSync(live, path.join(dir, 'media/a-av-1.mkv'));
      const f = files[0] as ManifestFile;
      f.sha256 = '';
      f.bytes = statSync(live).size;
    }),
    { ffmpeg },
  );
  t.equal(v.status, 'damaged');
  t.notOk(v.ok);
  t.match(v.problems.join('\n'), /a-av-1\.mkv: (no duration|no seek index)/);
});
