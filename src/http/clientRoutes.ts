import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { requireToken } from './credentials.js';
import { limitPer } from './rateLimits.js';
import { errors } from '../../common/errors.js';
import { projectRoot } from '../../common/paths.js';

/** Built by `npm run build` (scripts/build-client.mjs) from client-sdk/. */
export const CLIENT_DIST = path.join(projectRoot, 'dist', 'client');

/** The SDK's module, under the address applications import it from. */
const SDK_FILES = new Set(['diemcau-client.js', 'diemcau-client.js.map']);

/** The pages, each at its own address (`/join` is `join.html`). */
const PAGES = ['join', 'console'];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
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
  type: string;
}

export interface ClientDeps {
  tokens: TokenService;
  /** Where the built files are (default: dist/client). */
  dir?: string;
}

/**
 * The SDK, the pages and their assets, served from the build directory as it is at start
 * (every file it holds: `/sdk/…` for the SDK, `/assets/…` for the rest, `/<page>` for
 * each page); and the delegate page's network check. Files are read into memory,
 * gzipped once and tagged, so a reload costs a 304 and a first load a third of the SDK's
 * size on the central link.
 */
export const clientRoutes: FastifyPluginCallback<ClientDeps> = (app, deps, done) => {
  const dir = deps.dir ?? CLIENT_DIST;
  const files = loadBuild(dir);
  const serve = (name: string, page: boolean) => (req: FastifyRequest, reply: FastifyReply) => {
    const file = files.get(name);
    if (!file) {
      throw new errors.UNAVAILABLE('the browser client is not built (npm run build)');
    }
    if (page) {
      reply.header('content-security-policy', PAGE_POLICY);
      reply.header('referrer-policy', 'no-referrer');
    }
    reply.header('cache-control', 'no-cache');
    reply.header('etag', file.etag);
    reply.header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === file.etag) {
      return reply.code(304).send();
    }
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      reply.header('content-encoding', 'gzip');
      return reply.type(file.type).send(file.gzip);
    }
    return reply.type(file.type).send(file.body);
  };
  for (const page of PAGES) {
    app.get(`/${page}`, { schema: { querystring: PAGE_QUERY } }, serve(`${page}.html`, true));
  }
  for (const name of files.keys()) {
    if (SDK_FILES.has(name)) {
      app.get(`/sdk/${name}`, { schema: { querystring: NO_QUERY } }, serve(name, false));
    } else if (!PAGES.some((p) => name === `${p}.html`)) {
      app.get(`/assets/${name}`, { schema: { querystring: NO_QUERY } }, serve(name, false));
    }
  }
  if (!files.has('diemcau-client.js')) {
    // Not built: say so where the SDK is asked for, rather than a bare 404.
    app.get('/sdk/diemcau-client.js', serve('diemcau-client.js', false));
  }
  app.get('/', { schema: { querystring: NO_QUERY } }, async (_req, reply) =>
    reply.redirect('/join'),
  );
  registerNetworkCheck(app, deps.tokens);
  done();
};

/** Every file of the build directory, read, compressed and tagged. */
function loadBuild(dir: string): Map<string, CachedFile> {
  const files = new Map<string, CachedFile>();
  if (!existsSync(dir)) {
    return files;
  }
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[path.extname(name)];
    if (type === undefined) {
      continue;
    }
    const body = readFileSync(path.join(dir, name));
    files.set(name, {
      body,
      gzip: gzipSync(body, { level: 9 }),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      type,
    });
  }
  return files;
}

const NO_QUERY = { type: 'object', additionalProperties: false } as const;
/** A page's own settings; its token is read by the page and never logged. */
const PAGE_QUERY = {
  type: 'object',
  properties: {
    token: { type: 'string', maxLength: 4096 },
    lang: { type: 'string', enum: ['vi', 'en'] },
  },
} as const;

/**
 * The delegate page's network check, for holders of an invitation only: download N bytes,
 * or upload a body. Limited per address and per credential.
 */
function registerNetworkCheck(
  app: Parameters<FastifyPluginCallback>[0],
  tokens: TokenService,
): void {
  const credentialOf = (req: FastifyRequest): string => {
    const claims = requireToken(tokens, req);
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
    next: (err?: Error) => void,
  ): void => {
    try {
      credentialOf(req);
      next();
    } catch (err) {
      next(err as Error);
    }
  };
  const BLOCK = Buffer.alloc(1024 * 1024, 0x5a);
  app.get<{ Querystring: { bytes?: string } }>(
    '/bandwidth-test',
    {
      config: perAddress,
      preHandler: [authenticate, perCredential],
      schema: {
        querystring: {
          type: 'object',
          properties: { bytes: { type: 'string', pattern: '^[0-9]{1,12}$' } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const bytes = Math.min(Number(req.query.bytes ?? 0), BANDWIDTH_TEST.maxDownloadBytes);
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
      schema: { querystring: NO_QUERY },
    },
    async (req, reply) => reply.send({ received: (req.body as Buffer | undefined)?.length ?? 0 }),
  );
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, next) =>
    next(null, body),
  );
}
