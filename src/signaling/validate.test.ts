import t from 'tap';
import { v } from './validate.js';

t.test('objects: known fields only, each checked, errors name the field', (t) => {
  const check = v.object({
    transportId: v.string({ max: 8 }),
    layer: v.optional(v.integer(0, 2)),
    kind: v.oneOf(['audio', 'video'] as const),
  });
  t.same(check({ transportId: 'abc', kind: 'audio' }, 'data'), {
    transportId: 'abc',
    kind: 'audio',
  });
  t.throws(() => check({ transportId: 5, kind: 'audio' }, 'data'), {
    code: 'DC_ERR_INVALID_PARAMS',
    message: /data\.transportId: must be a string/,
  });
  t.throws(() => check({ transportId: 'x'.repeat(9), kind: 'audio' }, 'data'), {
    message: /at most 8/,
  });
  t.throws(() => check({ transportId: 'a', kind: 'text' }, 'data'), {
    message: /data\.kind: must be one of audio, video/,
  });
  t.throws(() => check({ transportId: 'a', kind: 'audio', layer: 3 }, 'data'), {
    message: /data\.layer/,
  });
  t.throws(() => check({ transportId: 'a', kind: 'audio', extra: 1 }, 'data'), {
    message: /data\.extra: is not a known field/,
  });
  t.throws(() => check([], 'data'), { message: /data: must be an object/ });
  t.throws(() => check(null, 'data'), { message: /data: must be an object/ });
  t.end();
});

t.test('opaque JSON for mediasoup is bounded in size and depth', (t) => {
  const json = v.json(100);
  t.same(json({ a: [1, 2] }, 'data.x'), { a: [1, 2] });
  t.throws(() => json({ a: 'x'.repeat(200) }, 'data.x'), { message: /larger than 100 bytes/ });
  let deep: unknown = 1;
  for (let i = 0; i < 30_000; i++) {
    deep = [deep];
  }
  t.throws(
    () => v.json(10_000_000)({ deep }, 'data.x'),
    { message: /nested too deeply/ },
    'no stack overflow',
  );
  t.end();
});
