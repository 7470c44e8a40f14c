import type { FastifyPluginCallback } from 'fastify';
import type { Operators } from '../auth/Operators.js';
import { CONSOLE_LOGIN_MS } from '../auth/Operators.js';
import { POINT_KINDS, ROLES } from '../auth/roles.js';
import type { TokenService } from '../auth/TokenService.js';
import type { Credentials } from '../sessions/Credentials.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';
import type { SessionService } from '../sessions/SessionService.js';
import { ERROR, LOGIN_BODY, NO_QUERY, POINT_LOGIN_BODY } from './apiSchemas.js';
import { requireToken } from './credentials.js';
import { CONSOLE_COOKIE, operatorAuth } from './operatorAuth.js';
import { sessionsApi } from './sessionsApi.js';
import { liveApi } from './liveApi.js';
import type { BandwidthGovernor } from '../bandwidth/BandwidthGovernor.js';
import type { LiveQuality } from '../sessions/LiveQuality.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';

export interface ApiDeps {
  tokens: TokenService;
  operators: Operators;
  sessions: SessionService;
  credentials: Credentials;
  live: LiveSessions;
  dataDir: string;
  publicUrl: () => string;
  /** Cookies marked Secure (the server speaks HTTPS). */
  secureCookies: boolean;
  archiveProblem: (sessionId: string) => Promise<string | null>;
  quality: LiveQuality;
  bandwidth: BandwidthGovernor;
  disk: DiskMonitor;
  ffmpeg: string | undefined;
}

/** Sign-in attempts one address may make a minute (besides the per-login lock). */
const LOGINS_PER_MINUTE = 20;

/**
 * The API (`/api/v1`, registered with that prefix): who an invitation is for, a point's
 * and an operator's sign-in, and the operators' API over sessions (sessionsApi.ts).
 */
export const apiRoutes: FastifyPluginCallback<ApiDeps> = (app, deps, done) => {
  const loginLimit = { rateLimit: { max: LOGINS_PER_MINUTE, timeWindow: 60_000 } };

  // Who an invitation is for: the delegate page asks before it asks for a camera, so a
  // link that cannot work is said so at once, with its coded reason.
  app.get(
    '/invitation',
    {
      schema: {
        querystring: NO_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['sessionId', 'pointId', 'pointName', 'pointKind', 'role', 'expiresAt'],
            properties: {
              sessionId: { type: 'string' },
              pointId: { type: 'string' },
              pointName: { type: 'string' },
              pointKind: { type: 'string', enum: POINT_KINDS },
              role: { type: 'string', enum: ROLES },
              expiresAt: { type: 'string', format: 'date-time' },
              sessionTitle: { type: 'string' },
              sessionState: { type: 'string' },
              startsAt: { type: 'string', format: 'date-time' },
            },
          },
          401: ERROR,
          403: ERROR,
        },
      },
    },
    (req, reply) => {
      const claims = requireToken(deps.tokens, req);
      const session = deps.credentials.authorize(claims, false);
      return reply.send({
        sessionId: claims.sessionId,
        pointId: claims.pointId,
        pointName: claims.pointName,
        pointKind: claims.pointKind,
        role: claims.role,
        expiresAt: claims.expiresAt.toISOString(),
        sessionTitle: session.title,
        sessionState: session.state,
        startsAt: session.startsAt.toISOString(),
      });
    },
  );

  // A delegate without its link signs in with the login and password of its invitation.
  app.post<{ Body: { login: string; password: string } }>(
    '/join/login',
    {
      config: loginLimit,
      schema: {
        body: POINT_LOGIN_BODY,
        response: {
          200: {
            type: 'object',
            properties: {
              token: { type: 'string' },
              sessionId: { type: 'string' },
              pointId: { type: 'string' },
            },
          },
          401: ERROR,
          429: ERROR,
        },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return deps.credentials.login(req.body.login, req.body.password);
    },
  );

  app.post<{ Body: { username: string; password: string } }>(
    '/auth/login',
    {
      config: loginLimit,
      schema: {
        body: LOGIN_BODY,
        response: {
          200: {
            type: 'object',
            properties: {
              operator: { type: 'string' },
              csrfToken: { type: 'string' },
              expiresAt: { type: 'string', format: 'date-time' },
            },
          },
          401: ERROR,
          429: ERROR,
        },
      },
    },
    async (req, reply) => {
      const login = deps.operators.login(req.body.username, req.body.password);
      reply.setCookie(CONSOLE_COOKIE, login.id, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookies,
        maxAge: Math.floor(CONSOLE_LOGIN_MS / 1000),
      });
      reply.header('cache-control', 'no-store');
      return {
        operator: req.body.username,
        csrfToken: login.csrf,
        expiresAt: login.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { response: { 204: { type: 'null' } } } },
    async (req, reply) => {
      const cookie = req.cookies[CONSOLE_COOKIE];
      if (cookie) {
        deps.operators.logout(cookie);
      }
      reply.clearCookie(CONSOLE_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  // The console asks who it is signed in as (and its CSRF token) when it loads.
  app.get(
    '/auth/me',
    {
      preHandler: operatorAuth(deps.tokens, deps.operators),
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { operator: { type: 'string' }, csrfToken: { type: ['string', 'null'] } },
          },
          401: ERROR,
        },
      },
    },
    (req) => {
      const cookie = req.cookies[CONSOLE_COOKIE];
      return {
        operator: req.operator,
        csrfToken: cookie ? (deps.operators.consoleLogin(cookie)?.csrf ?? null) : null,
      };
    },
  );

  // Its own context (the operator check applies to it alone), under this prefix.
  void app.register(sessionsApi, { ...deps, prefix: '' });
  void app.register(liveApi, { ...deps, prefix: '' });
  done();
};
