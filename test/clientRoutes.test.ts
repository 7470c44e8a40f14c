import t from 'tap';
import { startTestServer, tokenFor } from './helpers/session.js';

const server = await startTestServer({ DIEMCAU_MEDIASOUP_NUM_WORKERS: '1' });
t.teardown(() => {
  server.child.kill('SIGTERM');
});

t.test('the delegate page is served, Vietnamese first, with a strict content policy', async (t) => {
  const res = await fetch(`${server.url}/join?token=abc`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/html/);
  t.match(res.headers.get('content-security-policy'), /default-src 'self'/);
  const html = await res.text();
  t.match(html, /<html lang="vi">/);
  t.match(html, /data-testid="connection-state"/);
  t.match(html, /Tiếp công dân trực tuyến/);
});

t.test('the client SDK is served as an ES module', async (t) => {
  const res = await fetch(`${server.url}/sdk/diemcau-client.js`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /javascript/);
  const js = await res.text();
  t.match(js, /export\s*\{[^}]*\bconnect\b/, 'exports connect');
});

t.test(
  'the network check sends what is asked, within a cap, to an invitation holder',
  async (t) => {
    const auth = { authorization: `Bearer ${tokenFor('probe', 'lao-cai', 'delegate')}` };
    const res = await fetch(`${server.url}/bandwidth-test?bytes=100000`, { headers: auth });
    t.equal((await res.arrayBuffer()).byteLength, 100_000);
    const capped = await fetch(`${server.url}/bandwidth-test?bytes=999999999`, { headers: auth });
    t.equal((await capped.arrayBuffer()).byteLength, 2 * 1024 * 1024);
    const up = await fetch(`${server.url}/bandwidth-test`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(50_000),
    });
    t.same(await up.json(), { received: 50_000 });
  },
);

t.test('page and SDK are sent gzipped and tagged: a reload costs a 304', async (t) => {
  const first = await fetch(`${server.url}/sdk/diemcau-client.js`, {
    headers: { 'accept-encoding': 'gzip' },
  });
  t.equal(first.headers.get('content-encoding'), 'gzip');
  const etag = first.headers.get('etag') ?? '';
  t.match(etag, /^"[\w-]+"$/);
  await first.arrayBuffer();
  const again = await fetch(`${server.url}/sdk/diemcau-client.js`, {
    headers: { 'if-none-match': etag },
  });
  t.equal(again.status, 304);
});

t.test('the operator API refuses anything but an operator token', async (t) => {
  const none = await fetch(`${server.url}/api/v1/sessions`);
  t.equal(none.status, 401);
  t.match(await none.json(), { error: { code: 'DC_ERR_TOKEN_MISSING' } });
});

t.test(
  'every built asset is served from the build directory, each page at its address',
  async (t) => {
    const { readdirSync } = await import('node:fs');
    const { CLIENT_DIST } = await import('../src/http/clientRoutes.js');
    const built = readdirSync(CLIENT_DIST).filter((n) => /\.(js|css|map)$/.test(n));
    t.ok(built.length >= 4, `${built.length} built files`);
    for (const name of built) {
      const at = name.startsWith('diemcau-client.') ? `/sdk/${name}` : `/assets/${name}`;
      const res = await fetch(`${server.url}${at}`);
      t.equal(res.status, 200, at);
    }
    t.equal((await fetch(`${server.url}/assets/../package.json`)).status, 404, 'nothing else');
  },
);

t.test('a query that does not fit a route’s schema is a coded 400, not a guess', async (t) => {
  const auth = { authorization: `Bearer ${tokenFor('probe', 'lao-cai', 'delegate')}` };
  const res = await fetch(`${server.url}/bandwidth-test?bytes=lots`, { headers: auth });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'DC_ERR_BAD_REQUEST' } });
});
