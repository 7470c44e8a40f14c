/**
 * Every route is rate-limited per address (`http.rateLimitPerMinute`), so no machine on
 * the LAN can pull the central link's bandwidth away from a live session with a loop;
 * routes that cost bandwidth add their own, tighter limits per credential.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../common/errors.js';

const MINUTE_MS = 60_000;

export async function registerRateLimits(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: MINUTE_MS,
    errorResponseBuilder: (_req, context) =>
      new errors.TOO_MANY_REQUESTS(`at most ${context.max} a minute; retry in ${context.after}`),
  });
}

/**
 * A further limit of `perMinute` per key (e.g. per credential), as a route's preHandler.
 * (The plugin's own route hooks run once per request, so a second limit is checked here.)
 */
export function limitPer(
  app: FastifyInstance,
  name: string,
  perMinute: number,
  key: (req: FastifyRequest) => string,
): (req: FastifyRequest) => Promise<void> {
  const check = app.createRateLimit({
    max: perMinute,
    timeWindow: MINUTE_MS,
    keyGenerator: (req) => `${name}:${key(req)}`,
  });
  return async (req) => {
    const result = await check(req);
    if (!result.isAllowed && result.isExceeded) {
      throw new errors.TOO_MANY_REQUESTS(
        `${name}: at most ${result.max} a minute; retry in ${result.ttlInSeconds} s`,
      );
    }
  };
}
