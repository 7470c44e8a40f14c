/**
 * Join time: from `connect()` to the first decoded remote video frame, in headless
 * Chromium, median over 10 joins into a session where the central point publishes.
 */
import { joinPage, launchBrowser } from '../test/helpers/browser.js';
import { startTestServer, tokenFor } from '../test/helpers/session.js';
import { median, percentile, round } from './procStats.js';

const JOINS = Number(process.env['BENCH_JOINS'] ?? 10);
const server = await startTestServer({ DIEMCAU_LOG_LEVEL: 'warn' });
const browser = await launchBrowser();
try {
  await joinPage(browser, server.url, tokenFor('bench-join', 'central', 'host'));
  const times: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/join`);
    const ms = await page.evaluate(
      async (token: string) => {
        // A variable, so the module is resolved by the page, not by TypeScript.
        const sdkUrl = '/sdk/diemcau-client.js';
        const sdk = (await import(sdkUrl)) as {
          connect(o: { token: string }): Promise<{
            getStats(): Promise<{ kind: string; framesDecoded?: number }[]>;
            leave(): Promise<void>;
          }>;
        };
        const started = performance.now();
        const session = await sdk.connect({ token });
        for (;;) {
          const stats = await session.getStats();
          if (stats.some((s) => s.kind === 'video' && (s.framesDecoded ?? 0) > 0)) {
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        const elapsed = performance.now() - started;
        await session.leave();
        return elapsed;
      },
      tokenFor('bench-join', `delegate-${i}`, 'delegate'),
    );
    times.push(ms);
    console.log(`join ${i + 1}/${JOINS}: first remote video frame decoded after ${round(ms)} ms`);
    await context.close();
  }
  console.log(
    `median ${round(median(times))} ms, p90 ${round(percentile(times, 90))} ms ` +
      `(min ${round(Math.min(...times))}, max ${round(Math.max(...times))}); real browsers (headless Chromium)`,
  );
  console.log(
    JSON.stringify({
      bench: 'join',
      joins: JOINS,
      medianMs: round(median(times)),
      p90Ms: round(percentile(times, 90)),
      minMs: round(Math.min(...times)),
      maxMs: round(Math.max(...times)),
      clients: 'real browsers (headless Chromium, fake camera)',
    }),
  );
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
  await server.exited;
}
