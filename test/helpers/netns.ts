import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a test file's body in a network namespace of its own (`unshare -n`), so that it
 * may shape its loopback with `tc` while the rest of the machine's 127.0.0.1 is
 * untouched. Outside, the file re-runs itself inside and passes on its exit status;
 * only the inner run speaks TAP. Needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN.
 */
export async function inOwnNetworkNamespace(
  fileUrl: string,
  body: () => Promise<void>,
): Promise<void> {
  if (process.env['DIEMCAU_IN_NETNS'] === '1') {
    await body();
    return;
  }
  const inner = spawnSync('unshare', ['-n', process.execPath, fileURLToPath(fileUrl)], {
    stdio: 'inherit',
    env: { ...process.env, DIEMCAU_IN_NETNS: '1' },
  });
  if (inner.status !== 0) {
    console.error(
      inner.error
        ? `unshare failed: ${inner.error.message} (this test needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN)`
        : `the run in its own network namespace ended with ${inner.status ?? inner.signal}`,
    );
  }
  process.exitCode = inner.status ?? 1;
}

/**
 * Narrows the namespace's loopback for these UDP ports to `kbit` kbit/s with a short
 * queue (`queuePackets`), as a congested line loses and delays packets (netem is not in
 * every kernel). `fields`: the packets from the ports (`sport`: what they send), to them
 * (`dport`: what they receive), or both. Everything else goes through an unlimited class.
 * Once per namespace.
 */
export function narrowPorts(
  ports: readonly number[],
  kbit: number,
  fields: readonly ('sport' | 'dport')[],
  queuePackets = 20,
): void {
  const tc = (...args: string[]) => execFileSync('tc', args);
  tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1', 'r2q', '1000');
  const htbClass = (id: string, rate: string, quantum: number) =>
    tc(
      'class',
      'add',
      'dev',
      'lo',
      'parent',
      '1:',
      'classid',
      id,
      'htb',
      'rate',
      rate,
      'ceil',
      rate,
      'quantum',
      String(quantum),
    );
  // The unlimited class's quantum set, or tc warns that r2q makes it too big.
  htbClass('1:1', '10gbit', 200_000);
  htbClass('1:4', `${kbit}kbit`, 1514);
  tc(
    'qdisc',
    'add',
    'dev',
    'lo',
    'parent',
    '1:4',
    'handle',
    '40:',
    'pfifo',
    'limit',
    String(queuePackets),
  );
  for (const port of ports) {
    for (const field of fields) {
      tc(
        'filter',
        'add',
        'dev',
        'lo',
        'parent',
        '1:',
        'protocol',
        'ip',
        'prio',
        '1',
        'u32',
        'match',
        'ip',
        field,
        String(port),
        '0xffff',
        'flowid',
        '1:4',
      );
    }
  }
}
