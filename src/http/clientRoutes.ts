import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { errorBody, errors } from '../errors.js';
import { projectRoot } from '../paths.js';

/** Built by `npm run build` (scripts/build-client.mjs) from client-sdk/. */
export const CLIENT_DIST = path.join(projectRoot, 'dist', 'client');

const FILES: Record<string, { file: string; type: string }> = {
  '/sdk/diemcau-client.js': { file: 'diemcau-client.js', type: 'text/javascript; charset=utf-8' },
  '/sdk/diemcau-client.js.map': { file: 'diemcau-client.js.map', type: 'application/json' },
  '/assets/join.js': { file: 'join.js', type: 'text/javascript; charset=utf-8' },
  '/assets/join.js.map': { file: 'join.js.map', type: 'application/json' },
  '/assets/join.css': { file: 'join.css', type: 'text/css; charset=utf-8' },
  '/join': { file: 'join.html', type: 'text/html; charset=utf-8' },
};

/**
 * Camera and microphone need a page the browser trusts; the page's own policy keeps
 * it to this server's scripts and connections.
 */
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'";

/** The SDK, the delegate page and the bandwidth probe, all read into memory at start. */
export function registerClientRoutes(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  for (const [route, { file }] of Object.entries(FILES)) {
    const full = path.join(CLIENT_DIST, file);
    if (existsSync(full)) {
      cache.set(route, readFileSync(full));
    }
  }
  for (const [route, { type }] of Object.entries(FILES)) {
    app.get(route, async (_req, reply) => {
      const body = cache.get(route);
      if (!body) {
        return reply
          .code(503)
          .send(
            errorBody(new errors.UNAVAILABLE('the browser client is not built (npm run build)')),
          );
      }
      if (route === '/join') {
        reply.header('content-security-policy', PAGE_POLICY);
        reply.header('referrer-policy', 'no-referrer');
      }
      reply.header('cache-control', 'no-cache');
      return reply.type(type).send(body);
    });
  }
  app.get('/', async (_req, reply) => reply.redirect('/join'));

  // The delegate page's bandwidth check: download N random bytes, or upload a body.
  const BLOCK = Buffer.alloc(1024 * 1024, 0x5a);
  app.get<{ Querystring: { bytes?: string } }>('/bandwidth-test', async (req, reply) => {
    const bytes = Math.min(Math.max(Number(req.query.bytes) || 0, 0), 8 * 1024 * 1024);
    const chunks: Buffer[] = [];
    for (let left = bytes; left > 0; left -= BLOCK.length) {
      chunks.push(left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left));
    }
    reply.header('cache-control', 'no-store');
    return reply.type('application/octet-stream').send(Buffer.concat(chunks));
  });
  app.post('/bandwidth-test', { bodyLimit: 8 * 1024 * 1024 }, async (req, reply) =>
    reply.send({ received: (req.body as Buffer | undefined)?.length ?? 0 }),
  );
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
}
