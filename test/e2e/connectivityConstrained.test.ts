import { execFileSync, spawnSync } from 'node:child_process';
import { inOwnNetworkNamespace } from '../helpers/netns.js';

// The connectivity test on a constrained link grades warn or fail for the link's sake.
// The whole test (server, Chromium, this process) runs in a network namespace of its
// own, whose loopback is shaped with a token bucket (`tc … tbf`): the rest of the
// machine's 127.0.0.1 is untouched.
await inOwnNetworkNamespace(import.meta.url, shapedRun);

async function shapedRun(): Promise<void> {
  // A token bucket drops whatever is larger than its burst: loopback's 64 KiB frames
  // would all go, so the namespace's loopback gets an Ethernet-sized MTU.
  execFileSync('ip', ['link', 'set', 'lo', 'mtu', '1500', 'up']);
  const { default: t } = await import('tap');
  const path = await import('node:path');
  const { launchBrowser } = await import('../helpers/browser.js');
  const { DIEMCAU_BIN, cleanEnv, runCli, tempDir } = await import('../helpers/cli.js');
  const { startTestServer } = await import('../helpers/session.js');
  const { apiCall } = await import('../helpers/api.js');
  const { projectRoot } = await import('../../common/paths.js');

  const dataDir = tempDir('constrained');
  const cliEnv = {
    DIEMCAU_DATA_DIR: dataDir,
    DIEMCAU_AUTH_JWT_SECRET: 'test-secret-for-diemcau-tests-0123456789',
  };
  const server = await startTestServer({
    DIEMCAU_DATA_DIR: dataDir,
    DIEMCAU_CONNECTIVITY_SECONDS: '8',
  });
  // Alone in the namespace, loopback is the PC's only interface: Chromium must be allowed
  // to gather ICE candidates on it.
  const browser = await launchBrowser(['--allow-loopback-in-peer-connection']);
  const shape = (args: string[]) =>
    execFileSync('tc', [
      'qdisc',
      ...args,
      'dev',
      'lo',
      'root',
      ...(args[0] === 'del' ? [] : ['tbf', 'rate', '400kbit', 'burst', '10kb', 'latency', '200ms']),
    ]);
  t.teardown(async () => {
    await browser.close();
    server.child.kill('SIGKILL');
  });

  spawnSync(DIEMCAU_BIN, ['operator', 'add', 'clerk', '--password-stdin'], {
    input: 'a long enough password\n',
    env: { ...cleanEnv(), ...cliEnv },
  });
  const token = (await runCli(['operator', 'token', 'clerk'], cliEnv)).stdout.trim();
  const start = new Date(Date.now() + 26 * 3_600_000);
  await apiCall(server.url, 'POST', '/sessions', {
    token,
    body: {
      id: 'tcd-lai-chau',
      title: 'Tiếp công dân định kỳ',
      category: 'b',
      hostLevel: 'province',
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3_600_000).toISOString(),
      points: [
        { id: 'central', kind: 'central', name: 'Trụ sở tiếp công dân' },
        { id: 'muong-te', kind: 'delegate', name: 'UBND huyện Mường Tè' },
      ],
    },
  });
  const credential = await apiCall(
    server.url,
    'POST',
    '/sessions/tcd-lai-chau/points/muong-te/credential',
    { token },
  );

  t.test('a 400 kbit/s link: the test says the link is too slow', async (t) => {
    const page = await (
      await browser.newContext({ viewport: { width: 1366, height: 768 } })
    ).newPage();
    await page.goto(credential.body.joinUrl);
    await page.waitForSelector('[data-testid="connectivity-test"]:not([disabled])', {
      timeout: 15_000,
    });
    shape(['add']);
    try {
      await page.click('[data-testid="connectivity-test"]');
      await page.waitForSelector('[data-testid="connectivity-result"][data-grade]:not([hidden])', {
        timeout: 90_000,
      });
    } finally {
      shape(['del']);
    }
    const result = page.locator('[data-testid="connectivity-result"]');
    const grade = await result.getAttribute('data-grade');
    t.comment(`the page says: ${await result.textContent()}`);
    t.match(grade, /^(warn|fail)$/, `graded ${grade}`);
    const codes = await result
      .locator('[data-code]')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-code')));
    t.comment(`findings: ${codes.join(', ')}`);
    t.ok(
      codes.includes('upstream-slow') || codes.includes('downstream-slow'),
      'for the bitrate the link carried',
    );
    t.notOk(
      codes.some((c) => c === 'no-camera' || c === 'no-microphone' || c === 'camera-black'),
      'not for the devices',
    );
    t.match(await result.textContent(), /Mạng tải (lên|xuống) chậm/, 'said in plain Vietnamese');
    await page.screenshot({
      path: path.join(projectRoot, '.tap', 'screenshots', 'join-connectivity-constrained.png'),
      fullPage: true,
    });
    const tests = (await apiCall(server.url, 'GET', '/sessions/tcd-lai-chau/tests', { token }))
      .body['tests'] as { slot: string; grade: string }[];
    t.equal(tests[0]?.slot, 'day-before', 'filed in the day-before slot (26 h before)');
    t.equal(tests[0]?.grade, grade);
  });
}
