/**
 * The one catalogue of diemcau's coded errors. Every error a user, a script or a
 * client can see comes from here, with a stable code and an HTTP status.
 * Codes are never reused or renamed: scripts and the client SDK match on them.
 */
import createError from '@fastify/error';

export type DiemcauError = createError.FastifyError & { code: string; statusCode: number };

/** `%s` placeholders are filled from the constructor arguments, in order. */
export const errors = {
  // Boot and machine (exit code 2 for configuration, 1 for the rest).
  CONFIG_INVALID: createError('DC_ERR_CONFIG_INVALID', 'Invalid configuration: %s', 500),
  CONFIG_FILE_UNREADABLE: createError(
    'DC_ERR_CONFIG_FILE_UNREADABLE',
    'Cannot read configuration file %s: %s',
    500,
  ),
  WORKER_BINARY_MISSING: createError(
    'DC_ERR_WORKER_BINARY_MISSING',
    'No mediasoup worker binary: %s',
    500,
  ),
  WORKER_BUILD_FAILED: createError(
    'DC_ERR_WORKER_BUILD_FAILED',
    'The offline mediasoup worker build failed: %s',
    500,
  ),
  FFMPEG_MISSING: createError('DC_ERR_FFMPEG_MISSING', 'No usable ffmpeg: %s', 500),
  USAGE: createError('DC_ERR_USAGE', '%s', 400),

  // HTTP API.
  NOT_FOUND: createError('DC_ERR_NOT_FOUND', 'Not found: %s', 404),
  BAD_REQUEST: createError('DC_ERR_BAD_REQUEST', 'Bad request: %s', 400),
  INTERNAL: createError('DC_ERR_INTERNAL', 'Internal error', 500),
  UNAVAILABLE: createError('DC_ERR_UNAVAILABLE', 'Service unavailable: %s', 503),
} as const;

export type ErrorName = keyof typeof errors;

export function isDiemcauError(value: unknown): value is DiemcauError {
  const code = value instanceof Error ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('DC_ERR_');
}

/** The wire shape of every error, over HTTP and signaling alike. */
export function errorBody(err: DiemcauError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
