import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { requireToken } from './credentials.js';
import { limitPer } from './rateLimits.js';
import { errorBody, errors } from '../../common/errors.js';
import { projectRoot } from '../../common/paths.js';

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

/** How much the network check may move, and how often. */
export const BANDWIDTH_TEST = {
  maxDownloadBytes: 2 * 1024 * 1024,
  maxUploadBytes: 1024 * 1024,
  perCredentialPerMinute: 6,
  perAddressPerMinute: 20,
} as const;

interface CachedFile {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/**
 * The SDK, the delegate page and the network check. Files are read into memory at
 * start, gzipped once and tagged, so a reload costs a 304 and a first load a third of
 * the SDK's size on the central link.
 */
export function registerClientRoutes(app: FastifyInstance, deps: { tokens: TokenService }): void {
  const cache = new Map<string, CachedFile>();
  for (const [route, { file }] of Object.entries(FILES)) {
    const full = path.join(CLIENT_DIST, file);
    if (existsSync(full)) {
      const body = readFileSync(full);
      cache.set(route, {
        body,
        gzip: gzipSync(body, { level: 9 }),
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      });
    }
  }
  for (const [route, { type }] of Object.entries(FILES)) {
    app.get(route, async (req, reply) => {
      const cached = cache.get(route);
      if (!cached) {
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
      reply.header('etag', cached.etag);
      reply.header('vary', 'accept-encoding');
      if (req.headers['if-none-match'] === cached.etag) {
        return reply.code(304).send();
      }
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        reply.header('content-encoding', 'gzip');
        return reply.type(type).send(cached.gzip);
      }
      return reply.type(type).send(cached.body);
    });
  }
  app.get('/', async (_req, reply) => reply.redirect('/join'));

  // The delegate page's network check, for holders of an invitation only: download N
  // bytes, or upload a body. Limited per address and per credential.
  const credentialOf = (req: FastifyRequest): string => {
    const claims = requireToken(deps.tokens, req);
    return `${claims.sessionId}/${claims.pointId}`;
  };
  const perAddress = {
    rateLimit: { max: BANDWIDTH_TEST.perAddressPerMinute, timeWindow: 60_000 },
  };
  const perCredential = limitPer(
    app,
    'network check',
    BANDWIDTH_TEST.perCredentialPerMinute,
    credentialOf,
  );
  const authenticate = (
    req: FastifyRequest,
    _reply: FastifyReply,
    done: (err?: Error) => void,
  ): void => {
    try {
      credentialOf(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  };
  const BLOCK = Buffer.alloc(1024 * 1024, 0x5a);
  app.get<{ Querystring: { bytes?: string } }>(
    '/bandwidth-test',
    { config: perAddress, preHandler: [authenticate, perCredential] },
    async (req, reply) => {
      const bytes = Math.min(
        Math.max(Number(req.query.bytes) || 0, 0),
        BANDWIDTH_TEST.maxDownloadBytes,
      );
      const chunks: Buffer[] = [];
      for (let left = bytes; left > 0; left -= BLOCK.length) {
        chunks.push(left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left));
      }
      reply.header('cache-control', 'no-store');
      return reply.type('application/octet-stream').send(Buffer.concat(chunks));
    },
  );
  app.post(
    '/bandwidth-test',
    {
      bodyLimit: BANDWIDTH_TEST.maxUploadBytes,
      config: perAddress,
      // Before the body is read: a refused upload costs nothing.
      onRequest: [authenticate],
      preHandler: [perCredential],
    },
    async (req, reply) => reply.send({ received: (req.body as Buffer | undefined)?.length ?? 0 }),
  );
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
}
