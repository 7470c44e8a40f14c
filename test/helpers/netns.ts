import { spawnSync } from 'node:child_process';
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
