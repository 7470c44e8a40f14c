import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenService } from '../auth/TokenService.js';
import { errorBody, errors, isDiemcauError } from '../errors.js';
import type { Rooms } from '../sfu/Rooms.js';

/**
 * The operator API's live view: sessions with points present, where their media runs.
 * `Authorization: Bearer <operator token>`.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { tokens: TokenService; rooms: Rooms },
): void {
  const requireOperator = (req: FastifyRequest): void => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const claims = deps.tokens.verify(token);
    if (claims.role !== 'operator') {
      throw new errors.FORBIDDEN('the operator API needs an operator token');
    }
  };

  app.get('/api/v1/sessions', async (req, reply) => {
    try {
      requireOperator(req);
    } catch (err) {
      if (isDiemcauError(err)) {
        return reply.code(err.statusCode).send(errorBody(err));
      }
      throw err;
    }
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
}
