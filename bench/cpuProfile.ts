import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * With BENCH_PROFILE=<file>, a V8 CPU profile of this process over a measured window
 * (open it in Chrome's DevTools, Performance): where diemcau's own Node time goes.
 */
export async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env['BENCH_PROFILE'];
  if (!file) {
    return undefined;
  }
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`CPU profile of the measured window: ${file}`);
    },
  };
}
