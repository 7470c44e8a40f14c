import https from 'node:https';
import t from 'tap';
import { type RunningServer, startServer, tempDir } from './helpers/cli.js';
import { freePortBlock } from './helpers/ports.js';
import { startTestServer, tokenFor } from './helpers/session.js';

interface Health {
  status: string;
  recorder: { alive: boolean; pid: number | null; restarts: number };
  workers: {
    size: number;
    alive: number;
    restarts: number;
    workers: { pid: number | null; port: number }[];
  };
}

async function health(server: RunningServer): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('diemcau serve: health, worker respawn, coded errors, graceful shutdown', async (t) => {
  const rtcPort = await freePortBlock(2);
  const server = await startServer({
    DIEMCAU_DATA_DIR: tempDir('serve'),
    DIEMCAU_MEDIASOUP_NUM_WORKERS: '2',
    DIEMCAU_MEDIASOUP_RTC_PORT: String(rtcPort),
  });
  t.teardown(() => {
    server.child.kill('SIGKILL');
  });

  await t.test('/healthz answers 200 with the worker pool', async (t) => {
    const { status, body } = await health(server);
    t.equal(status, 200);
    t.equal(body.status, 'ok');
    t.equal(body.workers.size, 2);
    t.equal(body.workers.alive, 2);
    t.same(
      body.workers.workers.map((w) => w.port),
      [rtcPort, rtcPort + 1],
      'one WebRtcServer port per worker, counting up',
    );
  });

  await t.test('a worker killed with SIGKILL is back within 2 s, on the same port', async (t) => {
    const before = (await health(server)).body.workers.workers;
    const victim = before[0]?.pid;
    t.ok(victim, 'worker 0 has a pid');
    process.kill(victim as number, 'SIGKILL');
    const killedAt = Date.now();
    let after: Health | null = null;
    while (Date.now() - killedAt < 2000) {
      const { status, body } = await health(server);
      const pid0 = body.workers.workers[0]?.pid;
      if (status === 200 && body.workers.alive === 2 && pid0 !== null && pid0 !== victim) {
        after = body;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(after, `pool back at full size within 2 s (took ${Date.now() - killedAt} ms)`);
    t.equal(after?.workers.restarts, 1, 'the restart is counted');
    t.equal(after?.workers.workers[0]?.port, rtcPort, 'the new worker serves the same port');
    t.equal(after?.workers.workers[1]?.pid, before[1]?.pid, 'the other worker was not touched');
    t.ok(
      server.logs.some((l) => l.includes('mediasoup worker died')),
      'the death is logged',
    );
  });

  await t.test('the recorder process is supervised: killed, it is back within 3 s', async (t) => {
    const before = (await health(server)).body.recorder;
    t.ok(before.alive && before.pid, `recorder process ${before.pid} is up`);
    process.kill(before.pid as number, 'SIGKILL');
    const killedAt = Date.now();
    let after: Health['recorder'] | null = null;
    while (Date.now() - killedAt < 3000) {
      const { status, body } = await health(server);
      if (status === 200 && body.recorder.alive && body.recorder.pid !== before.pid) {
        after = body.recorder;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(after, `recorder back within 3 s (took ${Date.now() - killedAt} ms)`);
    t.equal(after?.restarts, 1);
  });

  await t.test('/metrics speaks Prometheus text', async (t) => {
    const res = await fetch(`${server.url}/metrics`);
    t.equal(res.status, 200);
    const text = await res.text();
    t.match(text, /^diemcau_workers_alive 2$/m);
    t.match(text, /^diemcau_worker_restarts_total 1$/m);
  });

  await t.test('unknown routes get a coded JSON error', async (t) => {
    const res = await fetch(`${server.url}/no/such/thing?token=SECRET-IN-URL`);
    t.equal(res.status, 404);
    t.same(await res.json(), {
      error: { code: 'DC_ERR_NOT_FOUND', message: 'Not found: GET /no/such/thing' },
    });
    await new Promise((r) => setTimeout(r, 100));
    t.notOk(
      server.logs.some((l) => l.includes('SECRET-IN-URL')),
      'tokens in URLs are not logged',
    );
  });

  await t.test('SIGTERM shuts down cleanly: exit 0, workers gone', async (t) => {
    const h = (await health(server)).body;
    const pids = [...h.workers.workers.map((w) => w.pid as number), h.recorder.pid as number];
    server.child.kill('SIGTERM');
    const code = await server.exited;
    t.equal(code, 0);
    await new Promise((r) => setTimeout(r, 200));
    t.same(
      pids.filter((pid) => processAlive(pid)),
      [],
      'no mediasoup worker nor the recorder outlives the server',
    );
  });
});

t.test('a server that cannot get its worker port fails at start, clearly', async (t) => {
  const rtcPort = await freePortBlock(1);
  const first = await startServer({
    DIEMCAU_DATA_DIR: tempDir('serve-a'),
    DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
    DIEMCAU_MEDIASOUP_RTC_PORT: String(rtcPort),
  });
  t.teardown(() => {
    first.child.kill('SIGKILL');
  });
  await t.rejects(
    startServer({
      DIEMCAU_DATA_DIR: tempDir('serve-b'),
      DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
      DIEMCAU_MEDIASOUP_RTC_PORT: String(rtcPort),
    }),
    /exited 1 before ready: .*(address already in use|EADDRINUSE|bind)/is,
  );
});

/** GET over HTTPS to a server with a self-signed certificate (what is tested is not TLS). */
function httpsGet(url: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        rejectUnauthorized: false,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

t.test('on a network bind, /healthz detail and /metrics are for operators only', async (t) => {
  const metricsToken = 'scraper-secret-0123456789abcdef-0123456789';
  const server = await startTestServer({
    DIEMCAU_HTTP_HOST: '0.0.0.0',
    DIEMCAU_MEDIASOUP_LISTEN_IP: '0.0.0.0',
    // No media in this test: an address from the documentation range will do.
    DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS: '192.0.2.10',
    DIEMCAU_HTTP_METRICS_TOKEN: metricsToken,
    DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
  });
  t.teardown(() => {
    server.child.kill('SIGKILL');
  });
  const base = server.url.replace('0.0.0.0', '127.0.0.1');
  const anonymous = await httpsGet(`${base}/healthz`);
  t.equal(anonymous.status, 200);
  t.same(JSON.parse(anonymous.body), { status: 'ok' }, 'the status alone: no pids, ports, paths');
  const operator = tokenFor('ops', 'central', 'operator');
  const detail = JSON.parse((await httpsGet(`${base}/healthz`, operator)).body) as Health;
  t.equal(detail.workers.size, 1, 'an operator sees the detail');
  const delegate = await httpsGet(`${base}/healthz`, tokenFor('ops', 'ha-noi', 'delegate'));
  t.same(JSON.parse(delegate.body), { status: 'ok' }, 'a delegate does not');

  const closed = await httpsGet(`${base}/metrics`);
  t.equal(closed.status, 403);
  t.match(JSON.parse(closed.body), { error: { code: 'DC_ERR_FORBIDDEN' } });
  t.equal((await httpsGet(`${base}/metrics`, operator)).status, 200, 'an operator token opens it');
  const scraped = await httpsGet(`${base}/metrics`, metricsToken);
  t.equal(scraped.status, 200, 'so does http.metricsToken');
  t.match(scraped.body, /^diemcau_workers_alive 1$/m);
  t.notOk(
    server.logs.some((l) => l.includes(metricsToken)),
    'the metrics token is never logged',
  );
});

t.test('a fresh data directory opens a demo session and prints its links; once', async (t) => {
  const dataDir = tempDir('demo');
  const env = {
    DIEMCAU_DATA_DIR: dataDir,
    DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
    DIEMCAU_SESSIONS_DEMO: 'true',
  };
  const first = await startServer({
    ...env,
    DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(1)),
  });
  const printed = first.stderr.join('');
  const links = [...printed.matchAll(/(http:\/\/127\.0\.0\.1:\d+\/join\?token=\S+)/g)].map(
    (m) => m[1] as string,
  );
  t.equal(links.length, 3, 'a link for the central point and two delegates');
  t.match(
    printed,
    /\/join: [a-z-]+-\d{4} \/ [a-z2-9]{4}-[a-z2-9]{4}/,
    'and each login and password',
  );
  const token = decodeURIComponent((links[1] ?? '').split('token=')[1] ?? '');
  const who = await fetch(`${first.url}/api/v1/invitation`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(who.status, 200);
  t.match(await who.json(), { sessionId: 'demo', sessionState: 'live' }, 'open at once');
  first.child.kill('SIGTERM');
  await first.exited;
  const second = await startServer({
    ...env,
    DIEMCAU_MEDIASOUP_RTC_PORT: String(await freePortBlock(1)),
  });
  t.notMatch(second.stderr.join(''), /demo session is open/, 'not again on the next start');
  const still = await fetch(`${second.url}/api/v1/invitation`, {
    headers: { authorization: `Bearer ${token}` },
  });
  t.equal(still.status, 200, 'the demo links still work');
  second.child.kill('SIGTERM');
  await second.exited;
});
