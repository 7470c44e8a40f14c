import jwt from 'jsonwebtoken';
import t from 'tap';
import { TEST_SECRET, startTestServer, tokenFor, wsUrl } from './helpers/session.js';
import { OPUS_RTP_PARAMETERS, WsClient } from './helpers/wsClient.js';

const server = await startTestServer();
t.teardown(() => {
  server.child.kill('SIGTERM');
});
const url = wsUrl(server);

/** An authenticated and joined point (no media). */
async function joined(
  sessionId: string,
  pointId: string,
  role: 'host' | 'delegate' | 'observer' | 'operator',
) {
  const client = await WsClient.open(url);
  const auth = await client.request('auth', {
    token: tokenFor(sessionId, pointId, role),
  });
  await client.request('join', { rtpCapabilities: auth.routerRtpCapabilities });
  return client;
}

async function authError(
  token: string,
  extra: Record<string, unknown> = {},
): Promise<string | undefined> {
  const client = await WsClient.open(url);
  const response = await client.call('auth', { token, ...extra });
  client.close();
  return response.ok ? undefined : response.error?.code;
}

t.test('tokens: expired, forged, alg none and other-session tokens are refused', async (t) => {
  const past = Math.floor(Date.now() / 1000) - 60;
  const claims = { sid: 'room-a', pid: 'p1', role: 'delegate', name: 'P1', kind: 'delegate' };
  const expired = jwt.sign({ ...claims, exp: past }, TEST_SECRET, {
    algorithm: 'HS256',
    issuer: 'diemcau',
  });
  t.equal(await authError(expired), 'DC_ERR_TOKEN_EXPIRED');

  const forged = jwt.sign(claims, 'some-other-deployments-secret-xxxxxxxxxxxx', {
    algorithm: 'HS256',
    issuer: 'diemcau',
    expiresIn: 600,
  });
  t.equal(await authError(forged), 'DC_ERR_TOKEN_INVALID');

  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'diemcau', exp: past + 3600 })}.`;
  t.equal(await authError(algNone), 'DC_ERR_TOKEN_INVALID');

  const hs512 = jwt.sign(claims, TEST_SECRET, {
    algorithm: 'HS512',
    issuer: 'diemcau',
    expiresIn: 600,
  });
  t.equal(await authError(hs512), 'DC_ERR_TOKEN_INVALID', 'only HS256 is accepted');

  t.equal(await authError('not-a-jwt'), 'DC_ERR_TOKEN_INVALID');
  t.equal(await authError(''), 'DC_ERR_TOKEN_MISSING');
  const otherSession = tokenFor('room-b', 'p1', 'delegate');
  t.equal(await authError(otherSession, { sessionId: 'room-a' }), 'DC_ERR_TOKEN_WRONG_SESSION');

  const badRole = jwt.sign({ ...claims, role: 'admin' }, TEST_SECRET, {
    algorithm: 'HS256',
    issuer: 'diemcau',
    expiresIn: 600,
  });
  t.equal(await authError(badRole), 'DC_ERR_TOKEN_INVALID', 'unknown roles are refused');
});

t.test('a refused token closes the connection (4001) after the coded answer', async (t) => {
  const client = await WsClient.open(url);
  const response = await client.call('auth', { token: 'garbage' });
  t.equal(response.error?.code, 'DC_ERR_TOKEN_INVALID');
  await client.waitFor(() => client.closeCode ?? undefined).catch(() => undefined);
  t.equal(client.closeCode, 4001);
});

t.test('?token= on the URL authenticates, or reports why not', async (t) => {
  const good = await WsClient.open(`${url}?token=${tokenFor('room-q', 'q1', 'delegate')}`);
  const auth = await good.waitForNotification('authenticated');
  t.match(auth.data, { sessionId: 'room-q', pointId: 'q1', role: 'delegate' });
  good.close();
  const bad = await WsClient.open(`${url}?token=nope`);
  const failed = await bad.waitForNotification('authFailed');
  t.match(failed.data, { error: { code: 'DC_ERR_TOKEN_INVALID' } });
});

t.test('roles: a delegate cannot use controls; an observer cannot produce', async (t) => {
  const host = await joined('room-r', 'central', 'host');
  const delegate = await joined('room-r', 'hanoi', 'delegate');
  const observer = await joined('room-r', 'watcher', 'observer');
  t.teardown(() => [host, delegate, observer].forEach((c) => c.close()));

  for (const [method, data] of [
    ['mutePoint', { pointId: 'central' }],
    ['removePoint', { pointId: 'central' }],
    ['lockSession', { locked: true }],
    ['spotlight', { pointId: 'hanoi' }],
  ] as const) {
    const response = await delegate.call(method, data);
    t.equal(response.error?.code, 'DC_ERR_FORBIDDEN', `delegate ${method}`);
  }
  const transport = await observer.request('createWebRtcTransport', {
    direction: 'send',
  });
  const produce = await observer.call('produce', {
    transportId: transport.id,
    kind: 'audio',
    rtpParameters: OPUS_RTP_PARAMETERS,
    source: 'mic',
  });
  t.equal(produce.error?.code, 'DC_ERR_FORBIDDEN');

  // The host's controls do work, and everyone is told.
  await host.request('lockSession', { locked: true });
  const locked = await delegate.waitForNotification('sessionLocked');
  t.match(locked.data, { locked: true, by: 'central' });
  const late = await WsClient.open(url);
  const auth = await late.request('auth', {
    token: tokenFor('room-r', 'late', 'delegate'),
  });
  const refused = await late.call('join', { rtpCapabilities: auth.routerRtpCapabilities });
  t.equal(refused.error?.code, 'DC_ERR_SESSION_LOCKED', 'a locked session refuses new points');
  late.close();

  await host.request('mutePoint', { pointId: 'hanoi' });
  const muted = await delegate.waitForNotification('mutedByOperator');
  t.match(muted.data, { muted: true, by: 'central' });

  await host.request('removePoint', { pointId: 'hanoi' });
  const kicked = await delegate.waitForNotification('kicked');
  t.match(kicked.data, { reason: 'removed' });
  await delegate.waitFor(() => delegate.closeCode ?? undefined).catch(() => undefined);
  t.equal(delegate.closeCode, 4003);
  const again = await WsClient.open(url);
  const auth2 = await again.request('auth', {
    token: tokenFor('room-r', 'hanoi', 'delegate'),
  });
  const back = await again.call('join', { rtpCapabilities: auth2.routerRtpCapabilities });
  t.equal(back.error?.code, 'DC_ERR_POINT_REMOVED', 'a removed point cannot come back');
  again.close();
});

t.test(
  '1,000+ malformed and hostile messages: each gets a coded error, nothing breaks',
  async (t) => {
    // A bystander session with a producer whose ids the attacker will try to use.
    const victim = await joined('room-victim', 'victim', 'delegate');
    const victimTransport = await victim.request('createWebRtcTransport', {
      direction: 'send',
    });
    const victimProducer = await victim.request('produce', {
      transportId: victimTransport.id,
      kind: 'audio',
      rtpParameters: OPUS_RTP_PARAMETERS,
      source: 'mic',
    });
    const attacker = await joined('room-attacker', 'attacker', 'delegate');
    const fresh = await WsClient.open(url); // not authenticated: everything is out of order
    t.teardown(() => [victim, attacker, fresh].forEach((c) => c.close()));

    const hostile: {
      label: string;
      payload: string | Buffer;
      binary?: boolean;
      client?: WsClient;
    }[] = [];
    const add = (
      label: string,
      payload: string | Buffer,
      extra: { binary?: boolean; client?: WsClient } = {},
    ) => hostile.push({ label, payload, ...extra });
    const msg = (method: unknown, data?: unknown, id: unknown = 7): string =>
      JSON.stringify({ id, method, data });

    for (const text of [
      '{',
      'nul',
      '[1,2',
      '{"id":1,"method":"ping"',
      '\u0000\u0001',
      'ＪＳＯＮ',
      '}{',
    ]) {
      add(`invalid JSON ${JSON.stringify(text)}`, text);
    }
    for (const text of ['1', '"ping"', 'null', '[]', 'true', '[{"id":1}]']) {
      add(`not an object ${text}`, text);
    }
    for (const id of [null, '1', -1, 1.5, {}, [], 2 ** 60]) {
      add(`bad id ${JSON.stringify(id)}`, JSON.stringify({ id, method: 'ping', data: {} }));
    }
    add('no method', JSON.stringify({ id: 3 }));
    for (const method of [5, null, {}, [], true]) {
      add(`method of wrong type ${JSON.stringify(method)}`, msg(method));
    }
    for (const method of [
      'dropDatabase',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'x'.repeat(5000),
      '',
      'PING',
    ]) {
      add(`unknown method ${method.slice(0, 20)}`, msg(method, {}));
    }
    add('binary frame', Buffer.from([1, 2, 3, 4]), { binary: true });
    add('huge frame (100 KB)', msg('ping', { pad: 'x'.repeat(100_000) }));
    add('huge frame (250 KB)', 'y'.repeat(250_000));
    let nested: unknown = {};
    for (let i = 0; i < 40; i++) {
      nested = { a: nested };
    }
    add('deeply nested rtpCapabilities', msg('join', { rtpCapabilities: nested }));

    const methods = [
      'getRouterRtpCapabilities',
      'createWebRtcTransport',
      'connectWebRtcTransport',
      'restartIce',
      'produce',
      'closeProducer',
      'pauseProducer',
      'resumeProducer',
      'consume',
      'resumeConsumer',
      'setConsumerPreferredLayers',
      'mutePoint',
      'unmutePoint',
      'removePoint',
      'lockSession',
      'spotlight',
    ];
    const badValues: unknown[] = [
      'x',
      5,
      null,
      [],
      true,
      { transportId: 5 },
      { producerId: [] },
      { consumerId: {} },
      { direction: 'sideways' },
      { pointId: '../../etc/passwd' },
      { locked: 'yes' },
      { spatialLayer: 9, consumerId: 'abc' },
      { transportId: 'a'.repeat(500) },
      { unexpected: 1 },
      { pointId: null, extra: true },
    ];
    for (const method of methods) {
      for (const data of badValues) {
        add(`${method} with ${JSON.stringify(data).slice(0, 30)}`, msg(method, data));
      }
    }
    // Ids from another session: transports and producers the attacker cannot see.
    for (let i = 0; i < 20; i++) {
      add(
        'foreign transport (connect)',
        msg('connectWebRtcTransport', {
          transportId: victimTransport.id,
          dtlsParameters: { role: 'client', fingerprints: [] },
        }),
      );
      add('foreign transport (restartIce)', msg('restartIce', { transportId: victimTransport.id }));
      add('foreign producer (pause)', msg('pauseProducer', { producerId: victimProducer.id }));
      add('foreign producer (close)', msg('closeProducer', { producerId: victimProducer.id }));
      add('foreign point (mute)', msg('mutePoint', { pointId: 'victim' }));
    }
    // Calls out of order, on a connection that never authenticated.
    for (const method of [
      'join',
      'createWebRtcTransport',
      'produce',
      'consume',
      'getStats',
      'leave',
      'mutePoint',
    ]) {
      for (let i = 0; i < 10; i++) {
        add(`${method} before auth`, msg(method, {}), { client: fresh });
      }
    }
    add('auth twice', msg('auth', { token: tokenFor('room-attacker', 'attacker', 'delegate') }));
    // Random garbage until there are well over 1,000.
    let seed = 1;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    while (hostile.length < 1100) {
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)),
      );
      const kind = random();
      if (kind < 0.3) {
        add('random bytes', bytes.toString('latin1'));
      } else if (kind < 0.6) {
        add('random method', msg(bytes.toString('base64').slice(0, 20), { n: random() }));
      } else {
        const method = methods[Math.floor(random() * methods.length)] as string;
        add(
          `${method} with random data`,
          msg(method, { transportId: bytes.toString('hex').slice(0, 36), spatialLayer: random() }),
        );
      }
    }

    let coded = 0;
    const wrong: string[] = [];
    for (const h of hostile) {
      const client = h.client ?? attacker;
      const response = await client.sendRaw(h.payload, h.binary);
      if (!response.ok && /^DC_ERR_[A-Z_]+$/.test(response.error?.code ?? '')) {
        coded += 1;
      } else {
        wrong.push(`${h.label}: ${JSON.stringify(response).slice(0, 120)}`);
      }
    }
    t.ok(hostile.length >= 1000, `${hostile.length} hostile messages sent`);
    t.equal(coded, hostile.length, 'every one answered with a coded error');
    t.same(wrong.slice(0, 5), []);
    t.equal(attacker.closeCode, null, 'the connection survives');

    // The victim's session is untouched and the server still serves everyone.
    const stats = await victim.request('getStats');
    t.same(
      stats.producers.map((p) => ({ id: p.id, paused: p.paused })),
      [{ id: victimProducer.id, paused: false }],
      "the other session's producer is neither paused nor closed",
    );
    t.match(await attacker.request('ping'), { now: Number });
    const health = await fetch(`${server.url}/healthz`);
    t.equal(health.status, 200, 'the server is healthy');
  },
);

t.test('frames past the hard limit are cut off, and the server carries on', async (t) => {
  const client = await WsClient.open(url);
  client.socket.send('z'.repeat(600_000));
  await client.waitFor(() => client.closeCode ?? undefined).catch(() => undefined);
  t.equal(client.closeCode, 1009, 'closed as "message too big"');
  const next = await WsClient.open(url);
  t.match(await next.request('ping'), { now: Number });
  next.close();
});
