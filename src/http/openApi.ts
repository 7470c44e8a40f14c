import type { FastifyPluginCallback } from 'fastify';
import { escapeHtml } from '../sessions/invitation.js';

interface OpenApiDocument {
  info: { title: string; version: string };
  paths: Record<string, Record<string, { summary?: string; description?: string }>>;
}

/**
 * The operator API's OpenAPI document at `/docs/json` (for IT centers' scripts and
 * generators), and a plain page at `/docs` listing every route of it.
 */
export const openApiRoutes: FastifyPluginCallback = (app, _options, done) => {
  const document = (): OpenApiDocument => app.swagger() as unknown as OpenApiDocument;
  app.get('/docs/json', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('cache-control', 'no-cache').send(document()),
  );
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => {
    const doc = document();
    const rows = Object.entries(doc.paths)
      .filter(([route]) => route.startsWith('/api/'))
      .flatMap(([route, methods]) =>
        Object.keys(methods).map(
          (method) =>
            `<tr><td><code>${escapeHtml(method.toUpperCase())}</code></td><td><code>${escapeHtml(route)}</code></td></tr>`,
        ),
      )
      .join('\n');
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}td{padding:.2em 1em .2em 0}</style>
</head><body>
<h1>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</h1>
<p>The OpenAPI document: <a href="/docs/json">/docs/json</a>. Contract: docs/contract.md.</p>
<table>
${rows}
</table>
</body></html>
`);
  });
  done();
};
