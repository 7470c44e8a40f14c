import t from 'tap';
import { findOnPath, resolveFfmpeg } from './ffmpegBinary.js';

t.test('ffmpeg is found on PATH and its version read', (t) => {
  const ffmpeg = resolveFfmpeg(null);
  t.match(ffmpeg.version, /^ffmpeg version \S+/);
  t.ok(['PATH', 'ffmpeg-static'].includes(ffmpeg.source));
  t.end();
});

t.test('a configured path wins, and a broken one is an error, not a fallback', (t) => {
  const onPath = findOnPath('ffmpeg');
  t.ok(onPath, 'the setup installed ffmpeg');
  t.equal(resolveFfmpeg(onPath).source, 'config');
  t.equal(resolveFfmpeg('ffmpeg').path, onPath, 'a bare name is looked up on PATH');
  t.throws(() => resolveFfmpeg('/nonexistent/ffmpeg'), { code: 'DC_ERR_FFMPEG_MISSING' });
  t.throws(() => resolveFfmpeg('/bin/false'), {
    code: 'DC_ERR_FFMPEG_MISSING',
    message: /does not run/,
  });
  t.end();
});

t.test(
  'with no ffmpeg on PATH: ffmpeg-static if it installed, else an error saying what to do',
  (t) => {
    // ffmpeg-static downloads its binary at install time: on air-gapped machines it is absent.
    if (resolveFfmpeg(null).source === 'ffmpeg-static') {
      t.equal(resolveFfmpeg(null, { PATH: '/nonexistent' }).source, 'ffmpeg-static');
    } else {
      t.throws(() => resolveFfmpeg(null, { PATH: '/nonexistent' }), {
        code: 'DC_ERR_FFMPEG_MISSING',
        message: /apt-get install ffmpeg/,
      });
    }
    t.end();
  },
);
