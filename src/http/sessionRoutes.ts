import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { requireOperator, requireToken } from './credentials.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';

/**
 * The operator API's live view: sessions with points present, where their media runs.
 * `Authorization: Bearer <operator token>`.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { tokens: TokenService; sessions: LiveSessions },
): void {
  app.get('/api/v1/sessions', async (req) => {
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
  });

  // Who an invitation is for: the delegate page asks before it asks for a camera, so a
  // link that cannot work is said so at once, with its coded reason.
  app.get('/api/v1/invitation', (req, reply) => {
    const claims = requireToken(deps.tokens, req);
    return reply.send({
      sessionId: claims.sessionId,
      pointId: claims.pointId,
      pointName: claims.pointName,
      pointKind: claims.pointKind,
      role: claims.role,
      expiresAt: claims.expiresAt.toISOString(),
    });
  });
}
