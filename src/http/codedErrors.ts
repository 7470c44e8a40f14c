import type { FastifyError, FastifyInstance } from 'fastify';
import { errorBody, errors, isDiemcauError } from '../../common/errors.js';

/**
 * Every error an HTTP client gets is one of the catalogue's, in one shape: a coded error
 * as it is, a request Fastify refused (schema, body, size) as `DC_ERR_BAD_REQUEST` with
 * its status, anything else logged and answered `DC_ERR_INTERNAL`. Unknown addresses
 * are `DC_ERR_NOT_FOUND`, and count against the same per-address limit as the rest.
 * Set on the root, before the routes: every plugin inherits it.
 */
export function useCodedErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDiemcauError(error)) {
      return reply.code(error.statusCode).send(errorBody(error));
    }
    if (error.validation !== undefined || (error.statusCode ?? 500) < 500) {
      const coded = new errors.BAD_REQUEST(error.message);
      return reply.code(error.statusCode ?? 400).send(errorBody(coded));
    }
    request.log.error({ err: error }, 'unhandled error in request');
    return reply.code(500).send(errorBody(new errors.INTERNAL()));
  });
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
    const err = new errors.NOT_FOUND(`${request.method} ${request.url.split('?')[0] ?? ''}`);
    return reply.code(404).send(errorBody(err));
  });
}
