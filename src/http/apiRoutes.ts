import type { FastifyPluginCallback } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { POINT_KINDS, ROLES } from '../auth/roles.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';
import { requireOperator, requireToken } from './credentials.js';

export interface ApiDeps {
  tokens: TokenService;
  sessions: LiveSessions;
}

const NO_QUERY = { type: 'object', additionalProperties: false } as const;

const POINT = {
  type: 'object',
  required: ['id', 'name', 'kind', 'role', 'connection', 'mutedByOperator'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: POINT_KINDS },
    role: { type: 'string', enum: ROLES },
    connection: { type: 'string', enum: ['connected', 'reconnecting'] },
    mutedByOperator: { type: 'boolean' },
  },
} as const;

/**
 * The operator API (`/api/v1`, registered with that prefix): the live sessions for
 * operators, and who an invitation is for. `Authorization: Bearer <token>`.
 */
export const apiRoutes: FastifyPluginCallback<ApiDeps> = (app, deps, done) => {
  app.get(
    '/sessions',
    {
      schema: {
        querystring: NO_QUERY,
        response: {
          200: {
            type: 'object',
            required: ['sessions'],
            properties: {
              sessions: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'openedAt', 'locked', 'spotlight', 'workerPid', 'points'],
                  properties: {
                    id: { type: 'string' },
                    openedAt: { type: 'string', format: 'date-time' },
                    locked: { type: 'boolean' },
                    spotlight: { type: ['string', 'null'] },
                    workerPid: { type: ['integer', 'null'] },
                    points: { type: 'array', items: POINT },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (req) => {
      requireOperator(deps.tokens, req);
      const live = await deps.sessions.list();
      return {
        sessions: live.map(({ session, room }) => ({
          id: session.id,
          openedAt: session.openedAt.toISOString(),
          locked: session.locked,
          spotlight: session.spotlight,
          workerPid: room.workerPid,
          points: [...session.points.values()],
        })),
      };
    },
  );

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
            },
          },
        },
      },
    },
    (req, reply) => {
      const claims = requireToken(deps.tokens, req);
      return reply.send({
        sessionId: claims.sessionId,
        pointId: claims.pointId,
        pointName: claims.pointName,
        pointKind: claims.pointKind,
        role: claims.role,
        expiresAt: claims.expiresAt.toISOString(),
      });
    },
  );
  done();
};
