/**
 * The one catalogue of diemcau's coded errors. Every error a user, a script or a
 * client can see comes from here, with a stable code and an HTTP status; the codes are
 * the protocol's (protocol/errors.ts: src/protocolConformance.ts checks both lists are
 * the same). Codes are never reused or renamed: scripts and the client SDK match on them.
 */
import createError from '@fastify/error';

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

  // Authentication and authorisation (HTTP and signaling alike).
  TOKEN_MISSING: createError('DC_ERR_TOKEN_MISSING', 'No invitation token was given', 401),
  TOKEN_EXPIRED: createError('DC_ERR_TOKEN_EXPIRED', 'Invitation token has expired', 401),
  TOKEN_INVALID: createError('DC_ERR_TOKEN_INVALID', 'Invitation token is not valid: %s', 401),
  TOKEN_WRONG_SESSION: createError(
    'DC_ERR_TOKEN_WRONG_SESSION',
    'This invitation is for another session',
    403,
  ),
  FORBIDDEN: createError('DC_ERR_FORBIDDEN', 'Not allowed: %s', 403),
  SESSION_LOCKED: createError(
    'DC_ERR_SESSION_LOCKED',
    'The session is locked: no new bridge points may join',
    403,
  ),
  SESSION_FULL: createError(
    'DC_ERR_SESSION_FULL',
    'The session already has %s delegate points',
    403,
  ),
  POINT_REMOVED: createError(
    'DC_ERR_POINT_REMOVED',
    'This bridge point was removed from the session by the operator',
    403,
  ),
  MUTED_BY_OPERATOR: createError(
    'DC_ERR_MUTED_BY_OPERATOR',
    'The operator has muted this bridge point; only the operator can unmute it',
    403,
  ),

  // Signaling.
  INVALID_MESSAGE: createError('DC_ERR_INVALID_MESSAGE', 'Invalid message: %s', 400),
  INVALID_PARAMS: createError('DC_ERR_INVALID_PARAMS', 'Invalid parameters: %s', 400),
  UNKNOWN_METHOD: createError('DC_ERR_UNKNOWN_METHOD', 'Unknown method: %s', 400),
  FRAME_TOO_LARGE: createError(
    'DC_ERR_FRAME_TOO_LARGE',
    'Message of %s bytes is larger than the limit of %s bytes',
    413,
  ),
  NOT_AUTHENTICATED: createError(
    'DC_ERR_NOT_AUTHENTICATED',
    'Authenticate first (the auth method, or ?token= on the WebSocket URL)',
    401,
  ),
  ALREADY_AUTHENTICATED: createError(
    'DC_ERR_ALREADY_AUTHENTICATED',
    'This connection is already authenticated',
    409,
  ),
  NOT_JOINED: createError('DC_ERR_NOT_JOINED', 'Join the session first', 409),
  TRANSPORT_NOT_FOUND: createError(
    'DC_ERR_TRANSPORT_NOT_FOUND',
    'No transport %s on this connection',
    404,
  ),
  PRODUCER_NOT_FOUND: createError('DC_ERR_PRODUCER_NOT_FOUND', 'No producer %s', 404),
  CONSUMER_NOT_FOUND: createError(
    'DC_ERR_CONSUMER_NOT_FOUND',
    'No consumer %s on this connection',
    404,
  ),
  POINT_NOT_FOUND: createError('DC_ERR_POINT_NOT_FOUND', 'No bridge point %s in this session', 404),
  CANNOT_CONSUME: createError(
    'DC_ERR_CANNOT_CONSUME',
    'This device cannot receive producer %s',
    400,
  ),
  MEDIA_FAILED: createError('DC_ERR_MEDIA_FAILED', 'The media server refused the request: %s', 400),
  TOO_MANY_REQUESTS: createError('DC_ERR_TOO_MANY_REQUESTS', 'Too many requests: %s', 429),
  DISK_LOW: createError(
    'DC_ERR_DISK_LOW',
    'The archive disk is almost full (%s): free space before recording again',
    507,
  ),

  // HTTP API.
  NOT_FOUND: createError('DC_ERR_NOT_FOUND', 'Not found: %s', 404),
  BAD_REQUEST: createError('DC_ERR_BAD_REQUEST', 'Bad request: %s', 400),
  INTERNAL: createError('DC_ERR_INTERNAL', 'Internal error', 500),
  UNAVAILABLE: createError('DC_ERR_UNAVAILABLE', 'Service unavailable: %s', 503),
  /** A recorder job cut short by a shutdown or the recorder's death: it is done again later. */
  RECORDER_INTERRUPTED: createError(
    'DC_ERR_RECORDER_INTERRUPTED',
    'The recorder stopped before it finished: %s',
    503,
  ),

  // Sessions, credentials and operators (the store).
  SESSION_NOT_FOUND: createError('DC_ERR_SESSION_NOT_FOUND', 'No session %s', 404),
  SESSION_EXISTS: createError('DC_ERR_SESSION_EXISTS', 'A session %s exists already', 409),
  INVALID_TRANSITION: createError(
    'DC_ERR_INVALID_TRANSITION',
    'A session that is %s cannot become %s',
    409,
  ),
  TRANSITION_NOT_DUE: createError('DC_ERR_TRANSITION_NOT_DUE', 'Not yet: %s', 409),
  SESSION_NOT_EDITABLE: createError(
    'DC_ERR_SESSION_NOT_EDITABLE',
    'The session is %s: it can no longer be changed',
    409,
  ),
  EDIT_CONFLICT: createError(
    'DC_ERR_EDIT_CONFLICT',
    'The session changed meanwhile (revision %s, now %s): reload it and edit again',
    409,
  ),
  SESSION_NOT_OPEN: createError(
    'DC_ERR_SESSION_NOT_OPEN',
    'The session is not open yet (%s): points join once the central point opens it',
    403,
  ),
  SESSION_ENDED: createError(
    'DC_ERR_SESSION_ENDED',
    'The session is %s: no point may join it',
    403,
  ),
  POINT_EXISTS: createError('DC_ERR_POINT_EXISTS', 'The session has a point %s already', 409),
  CENTRAL_POINT: createError(
    'DC_ERR_CENTRAL_POINT',
    'A session has exactly one central point: %s',
    409,
  ),
  TOO_MANY_POINTS: createError(
    'DC_ERR_TOO_MANY_POINTS',
    'The session has %s delegate points already (the limit)',
    409,
  ),
  CREDENTIAL_REVOKED: createError(
    'DC_ERR_CREDENTIAL_REVOKED',
    'This credential was revoked or replaced: ask the central point for the new one',
    401,
  ),
  LOGIN_FAILED: createError('DC_ERR_LOGIN_FAILED', 'Wrong login or password', 401),
  LOGIN_LOCKED: createError(
    'DC_ERR_LOGIN_LOCKED',
    'Too many wrong passwords: this login is locked until %s',
    429,
  ),
  NOT_SIGNED_IN: createError(
    'DC_ERR_NOT_SIGNED_IN',
    'Sign in first (or your sign-in has expired)',
    401,
  ),
  CSRF: createError(
    'DC_ERR_CSRF',
    'This request lacks its form token (x-csrf-token): reload the page',
    403,
  ),
  OPERATOR_EXISTS: createError('DC_ERR_OPERATOR_EXISTS', 'An operator %s exists already', 409),
  OPERATOR_NOT_FOUND: createError('DC_ERR_OPERATOR_NOT_FOUND', 'No operator %s', 404),
  RECORDINGS_NOT_FINAL: createError(
    'DC_ERR_RECORDINGS_NOT_FINAL',
    'The recordings are not joined and verified: %s',
    409,
  ),
  STORE_TOO_NEW: createError(
    'DC_ERR_STORE_TOO_NEW',
    'The database is at version %s; this diemcau knows up to %s: upgrade diemcau',
    500,
  ),
  STORE_BUSY: createError(
    'DC_ERR_STORE_BUSY',
    'The database stayed locked by another process: %s',
    503,
  ),

  // Raised by the client SDK itself (never sent by the server); the status says what
  // kind of failure each is, for a page that shows them alike.
  CONNECT_TIMEOUT: createError('DC_ERR_CONNECT_TIMEOUT', 'The server did not answer in time', 504),
  CONNECT_FAILED: createError('DC_ERR_CONNECT_FAILED', 'Cannot reach the server (%s)', 503),
  DISCONNECTED: createError('DC_ERR_DISCONNECTED', 'The connection to the server was lost', 503),
  REQUEST_TIMEOUT: createError('DC_ERR_REQUEST_TIMEOUT', '%s got no answer in time', 504),
  UNKNOWN: createError('DC_ERR_UNKNOWN', 'The server gave an error without a code', 500),
} as const;

export type ErrorName = keyof typeof errors;

/** Every code in the catalogue. */
export type CataloguedCode = InstanceType<(typeof errors)[ErrorName]>['code'];

export type DiemcauError = createError.FastifyError & { code: CataloguedCode; statusCode: number };

export function isDiemcauError(value: unknown): value is DiemcauError {
  const code = value instanceof Error ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('DC_ERR_');
}

/** The wire shape of every error, over HTTP and signaling alike. */
export function errorBody(err: DiemcauError): {
  error: { code: CataloguedCode; message: string };
} {
  return { error: { code: err.code, message: err.message } };
}
