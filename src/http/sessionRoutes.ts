import type { FastifyInstance } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { requireOperator, requireToken } from './credentials.js';
import type { Rooms } from '../sfu/Rooms.js';

/**
 * The operator API's live view: sessions with points present, where their media runs.
 * `Authorization: Bearer <operator token>`.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { tokens: TokenService; rooms: Rooms },
): void {
  app.get('/api/v1/sessions', async (req) => {
    requireOperator(deps.tokens, req);
    const rooms = await deps.rooms.list();
    return {
      sessions: rooms.map((room) => ({
        id: room.session.id,
        openedAt: room.session.openedAt.toISOString(),
        locked: room.session.locked,
        spotlight: room.session.spotlight,
        workerPid: room.workerPid,
        points: [...room.session.points.values()],
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
