import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import t from 'tap';
import {
  DIEMCAU_BIN,
  cleanEnv,
  type RunningServer,
  runCli,
  startServer,
  tempDir,
} from './helpers/cli.js';
import { freePortBlock } from './helpers/ports.js';
import { TEST_SECRET, tokenFor } from './helpers/session.js';
import { WsClient } from './helpers/wsClient.js';
import { type ApiResult, apiCall } from './helpers/api.js';

// Reception sessions as Decision 748 runs them, through the operator API: planned,
// invited, made ready, opened, ended and archived; every refusal coded; the store kept
// across a restart and shared with the command line.
const dataDir = tempDir('planning');
const env = {
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
  DIEMCAU_AUTH_JWT_SECRET: TEST_SECRET,
  DIEMCAU_SESSIONS_MAX_DELEGATE_POINTS: '3',
  DIEMCAU_RECORDER_AUTO_START: 'false',
};
let server: RunningServer = await startServer({
  ...env,
  DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(1)),
});
t.teardown(() => server.child.kill('SIGKILL'));

/** An operator account, made on the command line beside the running server. */
async function cli(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (input === undefined) {
    return runCli(args, env);
  }
  return new Promise((resolve) => {
    const child = spawn(DIEMCAU_BIN, args, { env: { ...cleanEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
const added = await cli(
  ['operator', 'add', 'clerk', '--password-stdin'],
  'a long enough password\n',
);
const operatorToken = (await cli(['operator', 'token', 'clerk', '--ttl', '1h'])).stdout.trim();

function api(
  method: string,
  route: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<ApiResult> {
  return apiCall(server.url, method, route, {
    body,
    ...(headers ? { headers } : { token: operatorToken }),
  });
}

const inDays = (days: number, hour = 8): string => {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};
const plan = {
  id: 'tcd-2026-12',
  title: 'Tiếp công dân định kỳ <script>alert(1)</script>',
  caseSummary: "Khiếu nại về bồi thường đất đai'; DROP TABLE sessions; --",
  category: 'b',
  hostLevel: 'province',
  chair: 'Phó Chủ tịch UBND tỉnh',
  startsAt: inDays(10, 1),
  endsAt: inDays(10, 4),
  points: [
    {
      kind: 'central',
      name: 'Trụ sở tiếp công dân tỉnh',
      people: [{ role: 'Chủ trì', name: 'Ông A' }],
    },
    { kind: 'delegate', name: 'UBND huyện Đông Anh', organisation: 'Huyện Đông Anh' },
    { kind: 'delegate', name: 'Sở Tài nguyên và Môi trường' },
  ],
};

t.test('an operator account is made on the command line beside the running server', (t) => {
  t.equal(added.code, 0, added.stderr);
  t.match(operatorToken, /^eyJ/);
  t.end();
});

t.test('a session is planned with its points, its due times derived', async (t) => {
  const created = await api('POST', '/sessions', plan);
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.equal(created.body.state, 'planned');
  t.equal(created.body.points.length, 3);
  t.same(
    created.body.points.map((p: { id: string }) => p.id),
    ['tru-so-tiep-cong-dan-tinh', 'ubnd-huyen-dong-anh', 'so-tai-nguyen-va-moi-truong'],
  );
  t.equal(Date.parse(created.body.startsAt) - Date.parse(created.body.due.plan), 5 * 86_400_000);
  t.equal(
    Date.parse(created.body.startsAt) - Date.parse(created.body.due.invitations),
    3 * 86_400_000,
  );
  t.equal(
    Date.parse(created.body.startsAt) - Date.parse(created.body.due.testTwoHoursBefore),
    2 * 3_600_000,
  );
  t.same(created.body.late, [], 'planned 10 days ahead: nothing late');
  const listed = await api('GET', '/sessions');
  t.ok(listed.body.sessions.some((s: { id: string }) => s.id === plan.id));
});

t.test('the rules of the plan are enforced with coded errors, and nothing is stored', async (t) => {
  const second = await api('POST', `/sessions/${plan.id}/points`, {
    kind: 'central',
    name: 'Another',
  });
  t.equal(second.status, 409);
  t.equal(second.body.error?.code, 'DC_ERR_CENTRAL_POINT');
  const fourth = await api('POST', `/sessions/${plan.id}/points`, { kind: 'delegate', name: 'D3' });
  t.equal(fourth.status, 201, 'the third delegate fits (limit 3)');
  const fifth = await api('POST', `/sessions/${plan.id}/points`, { kind: 'delegate', name: 'D4' });
  t.equal(fifth.body.error?.code, 'DC_ERR_TOO_MANY_POINTS', 'the fourth does not');
  t.equal((await api('DELETE', `/sessions/${plan.id}/points/d3`)).status, 204);
  const live = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'live' });
  t.equal(live.body.error?.code, 'DC_ERR_INVALID_TRANSITION', 'planned cannot go live');
  const invited = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'invited' });
  t.equal(invited.body.error?.code, 'DC_ERR_TRANSITION_NOT_DUE', 'no invitations yet');
  const backwards = await api('POST', '/sessions', {
    ...plan,
    id: 'bad-times',
    endsAt: plan.startsAt,
  });
  t.equal(backwards.status, 400);
  t.equal(backwards.body.error?.code, 'DC_ERR_BAD_REQUEST');
  const again = await api('POST', '/sessions', plan);
  t.equal(again.body.error?.code, 'DC_ERR_SESSION_EXISTS');
  t.equal(
    (await api('GET', '/sessions/no-such-session')).body.error?.code,
    'DC_ERR_SESSION_NOT_FOUND',
  );
  t.equal(
    (await api('GET', `/sessions/${plan.id}/points/nobody`)).body.error?.code,
    'DC_ERR_POINT_NOT_FOUND',
  );
});

t.test('bad input to the routes: coded 4xx, nothing stored, nothing executed', async (t) => {
  const before = (await api('GET', '/sessions')).body.sessions.length;
  const cases: [string, string, unknown][] = [
    ['POST', '/sessions', { ...plan, id: 'x1', category: 'z' }],
    ['POST', '/sessions', { ...plan, id: 'x2', startsAt: 'tomorrow' }],
    ['POST', '/sessions', { ...plan, id: 'x3', title: 42 }],
    ['POST', '/sessions', { id: 'x4' }],
    ['POST', '/sessions', { ...plan, id: '../../etc' }],
    ['POST', '/sessions', { ...plan, id: 'x5', extra: true }],
    ['POST', '/sessions', { ...plan, id: 'x6', title: 'x'.repeat(201) }],
    ['POST', '/sessions', '{not json'],
    [
      'POST',
      '/sessions',
      JSON.stringify({ ...plan, id: 'x7', caseSummary: 'x'.repeat(2 * 1024 * 1024) }),
    ],
    ['PATCH', `/sessions/${plan.id}`, { startsAt: 5 }],
    ['PATCH', `/sessions/${plan.id}`, {}],
    ['POST', `/sessions/${plan.id}/transitions`, { to: 'nowhere' }],
    ['POST', `/sessions/${plan.id}/points`, { kind: 'delegate' }],
    ['PATCH', `/sessions/${plan.id}/points/ubnd-huyen-dong-anh`, { people: [{ name: 'no role' }] }],
    ['GET', "/sessions/x' OR '1'='1", undefined],
  ];
  for (const [method, route, body] of cases) {
    const res = await api(method, route, body);
    t.ok(res.status >= 400 && res.status < 500, `${method} ${route}: ${res.status}`);
    t.match(res.body?.error?.code, /^DC_ERR_/, `${method} ${route}: coded`);
  }
  t.equal((await api('GET', '/sessions')).body.sessions.length, before, 'nothing stored');
  const db = new DatabaseSync(path.join(dataDir, 'diemcau.db'), { readOnly: true });
  t.equal(
    (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n,
    before,
    'the sessions table is whole',
  );
  db.close();
});

t.test(
  "a session's share of the central link: planned, changed, cleared; nonsense refused",
  async (t) => {
    t.equal(
      (await api('GET', `/sessions/${plan.id}`)).body.linkMbps,
      null,
      'by default an even share',
    );
    const province = await api('POST', '/sessions', {
      ...plan,
      id: 'link-share',
      linkMbps: 12,
      points: [],
    });
    t.equal(province.status, 201, JSON.stringify(province.body));
    t.equal(province.body.linkMbps, 12, 'planned with 12 Mbit/s of its own');
    const raised = await api('PATCH', '/sessions/link-share', { linkMbps: 20 });
    t.equal(raised.body.linkMbps, 20, 'changed to 20');
    const cleared = await api('PATCH', '/sessions/link-share', { linkMbps: null });
    t.equal(cleared.body.linkMbps, null, 'cleared: an even share again');
    for (const bad of [0, -5, 1.5, 'lots', 200_000, true]) {
      const res = await api('PATCH', '/sessions/link-share', { linkMbps: bad });
      t.equal(res.status, 400, `${JSON.stringify(bad)}: refused`);
      t.match(res.body.error?.code, /^DC_ERR_/, `${JSON.stringify(bad)}: coded`);
    }
    t.equal((await api('GET', '/sessions/link-share')).body.linkMbps, null, 'nothing bad stored');
    const byCli = await cli(['session', 'edit', 'link-share', '--link-mbps', '8', '--json']);
    t.equal(byCli.code, 0, byCli.stderr);
    t.equal(
      (JSON.parse(byCli.stdout) as { linkMbps: number }).linkMbps,
      8,
      'the command line sets it',
    );
    const badCli = await cli(['session', 'edit', 'link-share', '--link-mbps', 'eight']);
    t.not(badCli.code, 0, 'and refuses nonsense');
    t.match(badCli.stderr, /linkMbps/, `saying what: ${badCli.stderr.trim()}`);
    t.equal(
      (await api('DELETE', '/sessions/link-share')).body.state,
      'cancelled',
      'cancelled again',
    );
  },
);

let hanoi: { joinUrl: string; login: string; password: string; expiresAt: string };
const tokenOf = (joinUrl: string): string => decodeURIComponent(joinUrl.split('token=')[1] ?? '');

t.test('credentials: issued to every delegate point, the session becomes invited', async (t) => {
  const issued = await api('POST', `/sessions/${plan.id}/points/ubnd-huyen-dong-anh/credential`);
  t.equal(issued.status, 201);
  hanoi = issued.body;
  t.match(hanoi.login, /^ubnd-huyen-dong-anh-\d{4}$/);
  t.match(hanoi.password, /^[a-z2-9]{4}-[a-z2-9]{4}$/);
  t.ok(Date.parse(hanoi.expiresAt) > Date.parse(plan.endsAt), 'valid past the planned end');
  t.equal((await api('GET', `/sessions/${plan.id}`)).body.state, 'planned', 'one delegate to go');
  await api('POST', `/sessions/${plan.id}/points/so-tai-nguyen-va-moi-truong/credential`);
  await api('POST', `/sessions/${plan.id}/points/tru-so-tiep-cong-dan-tinh/credential`);
  t.equal((await api('GET', `/sessions/${plan.id}`)).body.state, 'invited');
  const readiness = await api('GET', `/sessions/${plan.id}/readiness`);
  t.ok(
    readiness.body.points.every((p: { invitation: { issued: boolean } }) => p.invitation.issued),
  );
});

t.test('the invitation has all the decision lists, every typed text escaped', async (t) => {
  const html = await api(
    'GET',
    `/sessions/${plan.id}/points/ubnd-huyen-dong-anh/invitation?format=html`,
  );
  t.equal(html.status, 200);
  const page = html.text;
  t.notMatch(page, /<script>alert/, 'the title is escaped');
  t.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.match(page, /DROP TABLE sessions/, 'the case is shown as typed');
  t.match(page, new RegExp(hanoi.login));
  t.match(page, new RegExp(hanoi.password), 'the password, for the clerk');
  t.match(page, /Số điểm cầu: 3/);
  t.match(page, /Kiểm tra kết nối/);
  const text = await api(
    'GET',
    `/sessions/${plan.id}/points/ubnd-huyen-dong-anh/invitation?format=txt&lang=en`,
  );
  t.match(text.text, /INVITATION TO AN ONLINE CITIZEN RECEPTION SESSION/);
  t.match(text.text, /Number of bridge points: 3/);
  const readiness = await api('GET', `/sessions/${plan.id}/readiness`);
  const row = readiness.body.points.find(
    (p: { pointId: string }) => p.pointId === 'ubnd-huyen-dong-anh',
  );
  t.equal(row?.invitation.printed, true, 'the board shows it printed');
});

async function joinWith(token: string): Promise<{ client: WsClient; error?: string }> {
  const client = await WsClient.open(`${server.url.replace(/^http/, 'ws')}/ws`);
  const auth = await client.call('auth', { token });
  if (!auth.ok) {
    return { client, error: auth.error?.code };
  }
  const joined = await client.call('join', {
    rtpCapabilities: (auth.data as { routerRtpCapabilities: object }).routerRtpCapabilities,
  });
  return { client, ...(joined.ok ? {} : { error: joined.error?.code }) };
}

t.test('before the session is open, its credentials cannot join the room', async (t) => {
  const early = await joinWith(tokenOf(hanoi.joinUrl));
  t.equal(early.error, 'DC_ERR_SESSION_NOT_OPEN');
  early.client.close();
  const page = await fetch(`${server.url}/api/v1/invitation`, {
    headers: { authorization: `Bearer ${tokenOf(hanoi.joinUrl)}` },
  });
  t.equal(page.status, 200, 'the page still learns who the link is for');
  t.match(await page.json(), { sessionState: 'invited', pointId: 'ubnd-huyen-dong-anh' });
});

t.test('ready by hand needs a reason, recorded with who; then it opens', async (t) => {
  const bare = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'ready' });
  t.equal(bare.body.error?.code, 'DC_ERR_TRANSITION_NOT_DUE');
  const ready = await api('POST', `/sessions/${plan.id}/transitions`, {
    to: 'ready',
    reason: 'tests done by phone with every point',
  });
  t.equal(ready.body.state, 'ready');
  t.match(ready.body.readyOverride, {
    by: 'operator:clerk',
    reason: 'tests done by phone with every point',
  });
  const live = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'live' });
  t.equal(live.body.state, 'live');
});

t.test('a point signs in with its login; five wrong passwords lock it', async (t) => {
  const ok = await api('POST', '/join/login', { login: hanoi.login, password: hanoi.password }, {});
  t.equal(ok.status, 200);
  t.equal(ok.body.pointId, 'ubnd-huyen-dong-anh');
  const joined = await joinWith(ok.body.token);
  t.equal(joined.error, undefined, 'joins the live session with the token of its login');
  joined.client.close();
  const codes: string[] = [];
  for (let i = 0; i < 5; i++) {
    codes.push(
      (await api('POST', '/join/login', { login: hanoi.login, password: 'wrong-pass' }, {})).body
        .error.code,
    );
  }
  t.same(codes, [...Array<string>(4).fill('DC_ERR_LOGIN_FAILED'), 'DC_ERR_LOGIN_LOCKED']);
  const locked = await api(
    'POST',
    '/join/login',
    { login: hanoi.login, password: hanoi.password },
    {},
  );
  t.equal(locked.status, 429);
  t.equal(locked.body.error?.code, 'DC_ERR_LOGIN_LOCKED', 'even the right password, while locked');
  const unknown = await api('POST', '/join/login', { login: 'nobody-0000', password: 'x' }, {});
  t.equal(unknown.body.error?.code, 'DC_ERR_LOGIN_FAILED');
});

t.test(
  're-issuing revokes at once: the live connection is cut, the old link refused',
  async (t) => {
    const { client, error } = await joinWith(tokenOf(hanoi.joinUrl));
    t.equal(error, undefined, 'in the room');
    const reissued = await api(
      'POST',
      `/sessions/${plan.id}/points/ubnd-huyen-dong-anh/credential`,
    );
    t.equal(reissued.status, 201);
    await client.waitFor(() => client.closeCode ?? undefined, 5000);
    t.equal(client.closeCode, 4001, 'cut with a final close');
    const old = await joinWith(tokenOf(hanoi.joinUrl));
    t.equal(old.error, 'DC_ERR_CREDENTIAL_REVOKED');
    const fresh = await joinWith(tokenOf(reissued.body.joinUrl));
    t.equal(fresh.error, undefined, 'the new one works');
    fresh.client.close();
    hanoi = reissued.body;
    const other = await api('POST', '/sessions', {
      ...plan,
      id: 'other-session',
      points: plan.points.slice(0, 2),
    });
    t.equal(other.status, 201);
    const otherCredential = await api(
      'POST',
      '/sessions/other-session/points/ubnd-huyen-dong-anh/credential',
    );
    // The other session's credential, on this session's id: refused.
    const forged = await joinWith(
      tokenFor(plan.id, 'ubnd-huyen-dong-anh', 'delegate', { name: 'UBND huyện Đông Anh' }),
    );
    t.equal(forged.error, 'DC_ERR_TOKEN_INVALID', 'a token without its credential');
    const wrongSession = await WsClient.open(`${server.url.replace(/^http/, 'ws')}/ws`);
    const r = await wrongSession.call('auth', {
      token: tokenOf(otherCredential.body.joinUrl),
      sessionId: plan.id,
    });
    t.equal(r.error?.code, 'DC_ERR_TOKEN_WRONG_SESSION');
    wrongSession.close();
    const revoked = await api(
      'DELETE',
      `/sessions/${plan.id}/points/so-tai-nguyen-va-moi-truong/credential`,
    );
    t.equal(revoked.status, 204);
  },
);

t.test('an expired credential is refused', async (t) => {
  const db = new DatabaseSync(path.join(dataDir, 'diemcau.db'));
  db.prepare(
    `UPDATE credentials SET expires_at = ? WHERE session_id = 'other-session' AND revoked_at IS NULL`,
  ).run(new Date(Date.now() - 1000).toISOString());
  db.close();
  const row = await api(
    'GET',
    '/sessions/other-session/points/ubnd-huyen-dong-anh/invitation?format=txt',
  );
  t.match(row.text, /No login|Chưa cấp/, 'no valid credential to print');
  const login = await cli(['invite', 'other-session', 'ubnd-huyen-dong-anh']);
  t.equal(login.code, 0, 'the command line issues a new one');
  t.equal((await api('DELETE', '/sessions/other-session')).body.state, 'cancelled');
});

t.test(
  'the store survives a restart: sessions, credentials, states; the old link joins',
  async (t) => {
    server.child.kill('SIGTERM');
    await server.exited;
    server = await startServer({
      ...env,
      DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(1)),
    });
    const view = await api('GET', `/sessions/${plan.id}`);
    t.equal(view.body.state, 'live');
    t.equal(view.body.readyOverride?.by, 'operator:clerk');
    t.equal((await api('GET', '/sessions/other-session')).body.state, 'cancelled');
    const again = await joinWith(tokenOf(hanoi.joinUrl));
    t.equal(again.error, undefined, 'the credential issued before the restart joins');
    again.client.close();
  },
);

t.test(
  'the CLI and the server change the same store at once: nothing lost, no lock error',
  async (t) => {
    const revision = (await api('GET', `/sessions/${plan.id}`)).body.revision;
    const edits = Array.from({ length: 6 }, (_, i) =>
      cli(['point', 'edit', plan.id, 'so-tai-nguyen-va-moi-truong', '--organisation', `cli-${i}`]),
    );
    const apiEdits = Array.from({ length: 6 }, (_, i) =>
      api('PATCH', `/sessions/${plan.id}`, { chair: `chair-${i}` }),
    );
    const results = await Promise.all([...edits, ...apiEdits]);
    for (const r of results.slice(0, 6) as { code: number | null; stderr: string }[]) {
      t.equal(r.code, 0, r.stderr);
    }
    for (const r of results.slice(6) as { status: number }[]) {
      t.equal(r.status, 200);
    }
    const view = (await api('GET', `/sessions/${plan.id}`)).body;
    t.match(view.chair, /^chair-\d$/);
    t.match(
      view.points.find((p) => p.id === 'so-tai-nguyen-va-moi-truong')?.organisation,
      /^cli-\d$/,
    );
    t.equal(view.revision, revision + 6, 'every edit counted once: none lost');
  },
);

t.test(
  'ending the session sends its points away; then nothing changes it; then archived',
  async (t) => {
    const { client } = await joinWith(tokenOf(hanoi.joinUrl));
    const ended = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'ended' });
    t.equal(ended.body.state, 'ended');
    await client.waitFor(() => client.closeCode ?? undefined, 5000);
    t.equal(client.closeCode, 4004, 'told, and closed');
    t.ok(client.notifications.some((n) => n.method === 'sessionEnded'));
    const late = await joinWith(tokenOf(hanoi.joinUrl));
    t.equal(late.error, 'DC_ERR_SESSION_ENDED');
    late.client.close();
    t.equal(
      (await api('PATCH', `/sessions/${plan.id}`, { title: 'x' })).body.error?.code,
      'DC_ERR_SESSION_NOT_EDITABLE',
    );
    t.equal(
      (await api('POST', `/sessions/${plan.id}/transitions`, { to: 'live' })).body.error?.code,
      'DC_ERR_INVALID_TRANSITION',
    );
    // Its sitting over, the recordings joined and verified: archived by the server itself.
    let state = '';
    for (let i = 0; i < 100 && state !== 'archived'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await api('GET', `/sessions/${plan.id}`)).body.state;
    }
    t.equal(state, 'archived');
    const again = await api('POST', `/sessions/${plan.id}/transitions`, { to: 'archived' });
    t.equal(again.body.error?.code, 'DC_ERR_INVALID_TRANSITION');
  },
);

t.test('every change is in the session’s hash-chained audit log, with who did it', async (t) => {
  const verify = await cli(['recordings', 'verify', plan.id]);
  t.equal(verify.code, 0, verify.stdout + verify.stderr);
  const lines = readFileSync(path.join(dataDir, 'archive', plan.id, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; by?: string; detail?: Record<string, unknown> });
  const types = lines.map((l) => l.type);
  for (const type of [
    'session-planned',
    'point-added',
    'point-deleted',
    'credential-issued',
    'session-invited',
    'session-ready',
    'session-live',
    'login-locked',
    'credential-revoked',
    'session-edited',
    'session-ended',
    'session-archived',
  ]) {
    t.ok(types.includes(type), type);
  }
  t.ok(
    lines.filter((l) => l.type === 'point-edited').some((l) => l.by?.startsWith('cli:')),
    'the command line too',
  );
  t.notMatch(
    readFileSync(path.join(dataDir, 'archive', plan.id, 'audit.jsonl'), 'utf8'),
    new RegExp(hanoi.password),
    'no password in it',
  );
});

t.test(
  'the operator API is documented at /docs/json, and refuses without an operator',
  async (t) => {
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const route of [
      '/api/v1/sessions',
      '/api/v1/sessions/{id}/transitions',
      '/api/v1/sessions/{id}/points/{pointId}/credential',
      '/api/v1/sessions/{id}/points/{pointId}/invitation',
      '/api/v1/sessions/{id}/readiness',
      '/api/v1/auth/login',
    ]) {
      t.ok(doc.paths[route], route);
    }
    t.equal((await api('GET', '/sessions', undefined, {})).status, 401);
    const delegate = await api('GET', '/sessions', undefined, {
      authorization: `Bearer ${tokenOf(hanoi.joinUrl)}`,
    });
    t.equal(delegate.status, 403, 'a delegate’s token is no operator');
  },
);

t.test('the chair ends the session from the room; a delegate cannot', async (t) => {
  const id = 'chair-ends';
  t.equal(
    (await api('POST', '/sessions', { ...plan, id, points: plan.points.slice(0, 2) })).status,
    201,
  );
  const host = await api('POST', `/sessions/${id}/points/tru-so-tiep-cong-dan-tinh/credential`);
  const guest = await api('POST', `/sessions/${id}/points/ubnd-huyen-dong-anh/credential`);
  await api('POST', `/sessions/${id}/transitions`, { to: 'ready', reason: 'tested by phone' });
  await api('POST', `/sessions/${id}/transitions`, { to: 'live' });
  const chair = await joinWith(tokenOf(host.body.joinUrl));
  const delegate = await joinWith(tokenOf(guest.body.joinUrl));
  t.equal(chair.error, undefined);
  const refused = await delegate.client.call('endSession', {});
  t.equal(refused.error?.code, 'DC_ERR_FORBIDDEN');
  const ended = await chair.client.call('endSession', {});
  t.ok(ended.ok, 'the chair ends it');
  await delegate.client.waitFor(() => delegate.client.closeCode ?? undefined, 5000);
  t.equal(delegate.client.closeCode, 4004);
  const view = (await api('GET', `/sessions/${id}`)).body;
  t.equal(view.state === 'ended' || view.state === 'archived', true, `now ${view.state}`);
});
