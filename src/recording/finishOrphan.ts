import { readFileSync } from 'node:fs';
import { sendRtcpBye } from '../../recorder/rtcpBye.js';

/** How long an orphaned ffmpeg (its recorder died) gets to finish its segment. */
const ORPHAN_GRACE_MS = 3000;

/**
 * Ends an ffmpeg left by a dead recorder process as a normal stop does: an RTCP BYE on
 * its streams, so it closes its segment with its trailer; SIGINT if that did not work
 * (a second one if it is starved of packets, as in PointRecorder.stop), SIGKILL if it
 * does not end within the grace time. The pid is checked to still be that run's ffmpeg
 * (pids are reused).
 */
export async function finishOrphan(
  pid: number | null,
  name: string,
  rtcpPorts: readonly number[],
): Promise<void> {
  const isOurs = (): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
    } catch {
      return false;
    }
  };
  if (pid === null || !isOurs()) {
    return;
  }
  // As on a normal stop: a BYE ends its input cleanly; signals if it did not.
  await sendRtcpBye(rtcpPorts);
  for (const until = Date.now() + 1500; isOurs() && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!isOurs()) {
    return;
  }
  process.kill(pid, 'SIGINT');
  const started = Date.now();
  let again = true;
  while (isOurs() && Date.now() < started + ORPHAN_GRACE_MS) {
    await new Promise((r) => setTimeout(r, 50));
    if (again && Date.now() > started + 500 && isOurs()) {
      again = false;
      process.kill(pid, 'SIGINT');
    }
  }
  if (isOurs()) {
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}
