import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { runCli, tempDir } from './helpers/cli.js';
import { startTestServer, tokenFor, wsUrl } from './helpers/session.js';
import { WsClient } from './helpers/wsClient.js';

const dataDir = tempDir('archive');
const server = await startTestServer({
  DIEMCAU_DATA_DIR: dataDir,
  DIEMCAU_MEDIASOUP_NUM_WORKERS: '1',
});
t.teardown(() => {
  server.child.kill('SIGTERM');
});

async function point(id: string, role: 'host' | 'delegate'): Promise<WsClient> {
  const client = await WsClient.open(wsUrl(server));
  const auth = await client.request('auth', {
    token: tokenFor('tcd-audit', id, role),
  });
  await client.request('join', { rtpCapabilities: auth.routerRtpCapabilities });
  return client;
}

t.test('every join, control and leave lands in the hash-chained audit log', async (t) => {
  const host = await point('central', 'host');
  const delegate = await point('ha-noi', 'delegate');
  await host.request('mutePoint', { pointId: 'ha-noi' });
  await host.request('lockSession', { locked: true });
  await delegate.request('leave');
  await host.request('leave');
  await new Promise((r) => setTimeout(r, 300));

  const file = path.join(dataDir, 'archive', 'tcd-audit', 'audit.jsonl');
  const types = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { type: string; pointId?: string }).type);
  t.same(types, [
    'session-opened',
    'recording-enabled',
    'point-joined',
    'point-joined',
    'point-muted',
    'session-locked',
    'point-left',
    'point-left',
  ]);

  const env = { DIEMCAU_DATA_DIR: dataDir };
  const ok = await runCli(['recordings', 'verify', 'tcd-audit'], env);
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /OK .*audit\.jsonl 8 events, hash chain intact; 0 media files verified/);
  const list = await runCli(['recordings', 'list', '--json'], env);
  t.match(JSON.parse(list.stdout), {
    sessions: [{ sessionId: 'tcd-audit', events: 8, intact: true }],
  });

  // Someone edits who was muted: verify names the line and fails.
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[4] = (lines[4] as string).replace('"pointId":"ha-noi"', '"pointId":"lao-cai"');
  writeFileSync(file, lines.join('\n'));
  const bad = await runCli(['recordings', 'verify', 'tcd-audit'], env);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /FAIL .*1 problem/);
  t.match(bad.stdout, /audit\.jsonl line 5: hash does not match its content/);

  const missing = await runCli(['recordings', 'verify', 'no-such-session'], env);
  t.equal(missing.code, 1);
  t.match(missing.stdout, /no such archive/);
});
