/**
 * The operator API over planned sessions (`/api/v1/sessions…`): sessions, their points,
 * credentials and invitations, transitions, readiness, tests and recordings. Every route
 * needs an operator (operatorAuth.ts) and has its JSON schema (apiSchemas.ts).
 */
import type { FastifyPluginCallback } from 'fastify';
import { errors } from '../../common/errors.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import { readManifest } from '../../archive/manifest.js';
import type { Operators } from '../auth/Operators.js';
import type { TokenService } from '../auth/TokenService.js';
import type { Credentials } from '../sessions/Credentials.js';
import { invitationHtml, invitationText } from '../sessions/invitation.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';
import { readiness } from '../sessions/readiness.js';
import type { SessionService, SessionView } from '../sessions/SessionService.js';
import type { PointFields, SessionFields } from '../sessions/sessionInput.js';
import type { SessionState } from '../sessions/plan.js';
import {
  CREDENTIAL,
  ERROR,
  NEW_POINT_BODY,
  NEW_SESSION_BODY,
  NO_QUERY,
  POINT,
  POINT_BODY,
  POINT_PARAMS,
  SESSION,
  SESSION_PARAMS,
  SESSION_PATCH_BODY,
  TEST,
  TRANSITION_BODY,
} from './apiSchemas.js';
import { operatorAuth } from './operatorAuth.js';

export interface SessionsApiDeps {
  tokens: TokenService;
  operators: Operators;
  sessions: SessionService;
  credentials: Credentials;
  live: LiveSessions;
  dataDir: string;
  publicUrl: () => string;
  /** Whether an ended session's recordings are joined and verify: null when they are. */
  archiveProblem: (sessionId: string) => Promise<string | null>;
}

type SessionParams = { Params: { id: string } };
type PointParams = { Params: { id: string; pointId: string } };

const errorsOf = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ERROR])) as Record<number, typeof ERROR>;

export const sessionsApi: FastifyPluginCallback<SessionsApiDeps> = (app, deps, done) => {
  const { sessions, credentials } = deps;
  app.addHook('preHandler', operatorAuth(deps.tokens, deps.operators));
  const by = (req: { operator?: string }): string => req.operator ?? 'operator';

  /** The session with what is live of it now. */
  const withLive = async (view: SessionView) => {
    const live = deps.live.has(view.id) ? await deps.live.open(view.id) : null;
    return {
      ...view,
      live: live
        ? {
            openedAt: live.session.openedAt.toISOString(),
            locked: live.session.locked,
            spotlight: live.session.spotlight,
            workerPid: live.room.workerPid,
            points: [...live.session.points.values()],
          }
        : null,
    };
  };

  app.get(
    '/sessions',
    {
      schema: {
        querystring: NO_QUERY,
        response: {
          200: { type: 'object', properties: { sessions: { type: 'array', items: SESSION } } },
        },
      },
    },
    async () => ({ sessions: await Promise.all(sessions.list().map(withLive)) }),
  );

  app.post<{ Body: SessionFields & { id?: string; points?: PointFields[] } }>(
    '/sessions',
    { schema: { body: NEW_SESSION_BODY, response: { 201: SESSION, ...errorsOf(400, 409) } } },
    async (req, reply) => reply.code(201).send(await withLive(sessions.create(req.body, by(req)))),
  );

  app.get<SessionParams>(
    '/sessions/:id',
    { schema: { params: SESSION_PARAMS, response: { 200: SESSION, ...errorsOf(404) } } },
    async (req) => withLive(sessions.view(req.params.id)),
  );

  app.patch<SessionParams & { Body: SessionFields & { revision?: number } }>(
    '/sessions/:id',
    {
      schema: {
        params: SESSION_PARAMS,
        body: SESSION_PATCH_BODY,
        response: { 200: SESSION, ...errorsOf(400, 404, 409) },
      },
    },
    async (req) => withLive(sessions.edit(req.params.id, req.body, by(req))),
  );

  // Cancelling is what removing a planned session means: it stays, with its audit log.
  app.delete<SessionParams>(
    '/sessions/:id',
    { schema: { params: SESSION_PARAMS, response: { 200: SESSION, ...errorsOf(404, 409) } } },
    async (req) => withLive(sessions.transition(req.params.id, 'cancelled', by(req))),
  );

  app.post<SessionParams & { Body: { to: SessionState; reason?: string } }>(
    '/sessions/:id/transitions',
    {
      schema: {
        params: SESSION_PARAMS,
        body: TRANSITION_BODY,
        response: { 200: SESSION, ...errorsOf(400, 404, 409) },
      },
    },
    async (req) => {
      const { id } = req.params;
      const problem = req.body.to === 'archived' ? await deps.archiveProblem(id) : null;
      return withLive(
        sessions.transition(id, req.body.to, by(req), req.body.reason, () => problem),
      );
    },
  );

  // ---- points --------------------------------------------------------------------------

  app.get<SessionParams>(
    '/sessions/:id/points',
    {
      schema: {
        params: SESSION_PARAMS,
        response: {
          200: { type: 'object', properties: { points: { type: 'array', items: POINT } } },
        },
      },
    },
    (req) => ({ points: sessions.view(req.params.id).points }),
  );

  app.post<SessionParams & { Body: PointFields }>(
    '/sessions/:id/points',
    {
      schema: {
        params: SESSION_PARAMS,
        body: NEW_POINT_BODY,
        response: { 201: POINT, ...errorsOf(400, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(sessions.addPoint(req.params.id, req.body, by(req))),
  );

  app.get<PointParams>(
    '/sessions/:id/points/:pointId',
    { schema: { params: POINT_PARAMS, response: { 200: POINT, ...errorsOf(404) } } },
    (req) => {
      sessions.get(req.params.id);
      return sessions.point(req.params.id, req.params.pointId);
    },
  );

  app.patch<PointParams & { Body: PointFields }>(
    '/sessions/:id/points/:pointId',
    {
      schema: {
        params: POINT_PARAMS,
        body: { ...POINT_BODY, minProperties: 1 },
        response: { 200: POINT, ...errorsOf(400, 404, 409) },
      },
    },
    (req) => {
      if (req.body.id !== undefined && req.body.id !== req.params.pointId) {
        throw new errors.BAD_REQUEST('id: a point keeps its id');
      }
      return sessions.editPoint(req.params.id, req.params.pointId, req.body, by(req));
    },
  );

  app.delete<PointParams>(
    '/sessions/:id/points/:pointId',
    {
      schema: { params: POINT_PARAMS, response: { 204: { type: 'null' }, ...errorsOf(404, 409) } },
    },
    async (req, reply) => {
      sessions.removePoint(req.params.id, req.params.pointId, by(req));
      return reply.code(204).send();
    },
  );

  // ---- credentials and invitations ---------------------------------------------------

  app.post<PointParams>(
    '/sessions/:id/points/:pointId/credential',
    {
      schema: { params: POINT_PARAMS, response: { 201: CREDENTIAL, ...errorsOf(404, 409) } },
    },
    async (req, reply) => {
      const issued = credentials.issue(req.params.id, req.params.pointId, by(req));
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(issued);
    },
  );

  app.delete<PointParams>(
    '/sessions/:id/points/:pointId/credential',
    { schema: { params: POINT_PARAMS, response: { 204: { type: 'null' }, ...errorsOf(404) } } },
    async (req, reply) => {
      credentials.revoke(req.params.id, req.params.pointId, by(req));
      return reply.code(204).send();
    },
  );

  app.get<PointParams & { Querystring: { format?: 'html' | 'txt'; lang?: 'vi' | 'en' } }>(
    '/sessions/:id/points/:pointId/invitation',
    {
      schema: {
        params: POINT_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['html', 'txt'] },
            lang: { type: 'string', enum: ['vi', 'en'] },
          },
        },
      },
    },
    async (req, reply) => {
      const { id, pointId } = req.params;
      const session = sessions.view(id);
      const point = sessions.point(id, pointId);
      const input = {
        session,
        point,
        credential: credentials.reprint(id, pointId),
        joinPage: `${deps.publicUrl()}/join`,
      };
      const lang = req.query.lang ?? 'vi';
      credentials.markPrinted(id, pointId);
      reply.header('cache-control', 'no-store');
      if (req.query.format === 'txt') {
        return reply.type('text/plain; charset=utf-8').send(invitationText(input, lang));
      }
      // The invitation is a document of its own: no script, nothing from elsewhere.
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return reply.type('text/html; charset=utf-8').send(invitationHtml(input, lang));
    },
  );

  // ---- readiness, tests, recordings ----------------------------------------------------

  app.get<SessionParams>(
    '/sessions/:id/readiness',
    {
      schema: {
        params: SESSION_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              state: { type: 'string' },
              late: { type: 'array', items: { type: 'string' } },
              points: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
        },
      },
    },
    async (req) => {
      const view = sessions.view(req.params.id);
      const live = deps.live.has(view.id) ? await deps.live.open(view.id) : null;
      const present = new Set(
        [...(live?.session.points.values() ?? [])]
          .filter((p) => p.connection === 'connected')
          .map((p) => p.id),
      );
      return { state: view.state, late: view.late, points: readiness(sessions, view.id, present) };
    },
  );

  app.get<SessionParams>(
    '/sessions/:id/tests',
    {
      schema: {
        params: SESSION_PARAMS,
        response: {
          200: { type: 'object', properties: { tests: { type: 'array', items: TEST } } },
        },
      },
    },
    (req) => {
      sessions.get(req.params.id);
      return {
        tests: sessions.store.testsOf(req.params.id).map((t) => ({ ...t, at: t.at.toISOString() })),
      };
    },
  );

  app.get<SessionParams>(
    '/sessions/:id/recordings',
    {
      schema: {
        params: SESSION_PARAMS,
        response: {
          200: {
            type: 'object',
            properties: {
              files: { type: 'array', items: { type: 'object', additionalProperties: true } },
              composite: { type: ['object', 'null'], additionalProperties: true },
            },
          },
        },
      },
    },
    (req) => {
      sessions.get(req.params.id);
      const manifest = readManifest(archiveDirOf(deps.dataDir, req.params.id));
      return {
        files: (manifest?.files ?? []).map((f) => ({
          file: f.file,
          kind: f.kind,
          pointId: f.pointId ?? null,
          bytes: f.bytes,
          start: f.start,
          end: f.end,
          seconds: Math.max(0, (Date.parse(f.end) - Date.parse(f.start)) / 1000),
          joined: f.joinedFrom !== undefined,
        })),
        composite: manifest?.composite ?? null,
      };
    },
  );
  done();
};
