import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from './logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

t.test('tokens and authorization headers never reach the log', (t) => {
  const { lines, stream } = capture();
  const log = createLogger('info', stream);
  log.info(
    { req: { method: 'GET', url: '/join?lang=vi&token=eyJSECRET.PAYLOAD.SIG', ip: '10.0.0.5' } },
    'request',
  );
  log.info({ invite: { token: 'eyJSECRET2' } }, 'invite');
  log.info(
    { req: { method: 'GET', url: '/ws', headers: { authorization: 'Bearer eyJSECRET3' } } },
    'x',
  );
  const all = lines.join('');
  t.notMatch(all, /SECRET/, 'no secret in any line');
  t.match(all, /token=\[redacted\]/);
  t.match(all, /"remoteAddress":"10\.0\.0\.5"/, 'the remote address is still logged');
  t.end();
});
