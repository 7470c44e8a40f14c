import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../test/helpers/cli.js';
import { makeTestClip } from '../test/helpers/media.js';
import { matroskaHasMedia, readMatroskaIndex } from './matroska.js';

const dir = tempDir('matroska');
const whole = path.join(dir, 'whole.mkv');
makeTestClip(whole, { size: '320x180', videoBitrate: '200k', gop: 25, seconds: 4 });
const bytes = readFileSync(whole);

t.test('a file ffmpeg finished: its duration, its cues, its media', (t) => {
  const index = readMatroskaIndex(whole);
  t.ok(index.durationSeconds !== null && Math.abs(index.durationSeconds - 4) < 0.1);
  t.ok(index.cues, 'a seek index');
  t.ok(matroskaHasMedia(whole));
  t.end();
});

t.test('cut before its trailer: no duration, no cues, the media still there', (t) => {
  // What a writer killed mid-file leaves: everything up to the cues, no trailer fix-up.
  const cut = path.join(dir, 'cut.mkv');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const index = readMatroskaIndex(cut);
  t.notOk(index.cues, 'no seek index');
  t.ok(matroskaHasMedia(cut), 'its clusters are there');
  t.end();
});

t.test('a header only, or not Matroska at all: no media', (t) => {
  const header = path.join(dir, 'header.mkv');
  writeFileSync(header, bytes.subarray(0, 300));
  t.notOk(matroskaHasMedia(header));
  const empty = path.join(dir, 'empty.mkv');
  closeSync(openSync(empty, 'w'));
  t.notOk(matroskaHasMedia(empty));
  t.notOk(matroskaHasMedia(path.join(dir, 'missing.mkv')));
  const text = path.join(dir, 'text.mkv');
  writeFileSync(text, 'not a recording');
  t.notOk(matroskaHasMedia(text));
  t.throws(() => readMatroskaIndex(text), /not a Matroska file/);
  t.end();
});
