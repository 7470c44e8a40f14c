import t from 'tap';
import { RepeatLimiter } from './RepeatLimiter.js';

t.test('a message repeated thousands of times is written a few times, then counted', (t) => {
  let now = 0;
  const lines: string[] = [];
  const limiter = new RepeatLimiter(
    (message, held) =>
      lines.push(held ? `${message} [+${held.count} in ${held.seconds} s]` : message),
    { perWindow: 3, windowMs: 60_000, now: () => now },
  );
  for (let i = 0; i < 2660; i++) {
    limiter.push(`RetransmissionBuffer::Insert() | packet ${i} too old`);
    now += 10;
  }
  limiter.push('DtlsTransport: handshake failed');
  t.equal(lines.length, 4, 'three of the kind, then the other message');
  t.equal(lines[3], 'DtlsTransport: handshake failed', 'a different message is not held back');
  now += 60_000;
  limiter.flush();
  t.equal(lines.length, 5);
  t.match(lines[4], /packet 2659 too old \[\+2657 in \d+ s\]/, 'how many were held back, once');
  limiter.push('RetransmissionBuffer::Insert() | packet 1 too old');
  t.equal(lines.length, 6, 'a new window writes again');
  t.end();
});
