/**
 * Every error code a client, a script or a user can see (docs/contract.md, "Errors"):
 * on the wire as `{"error":{"code":"DC_ERR_…","message":"…"}}`. The server's catalogue
 * (common/errors.ts) has an entry, with a message and an HTTP status, for each of them
 * (checked at compile time by src/protocolConformance.ts). Codes are never reused or
 * renamed: scripts and the SDK match on them.
 */
export const SERVER_ERROR_CODES = [
  'DC_ERR_CONFIG_INVALID',
  'DC_ERR_CONFIG_FILE_UNREADABLE',
  'DC_ERR_WORKER_BINARY_MISSING',
  'DC_ERR_WORKER_BUILD_FAILED',
  'DC_ERR_FFMPEG_MISSING',
  'DC_ERR_USAGE',
  'DC_ERR_TOKEN_MISSING',
  'DC_ERR_TOKEN_EXPIRED',
  'DC_ERR_TOKEN_INVALID',
  'DC_ERR_TOKEN_WRONG_SESSION',
  'DC_ERR_FORBIDDEN',
  'DC_ERR_SESSION_LOCKED',
  'DC_ERR_SESSION_FULL',
  'DC_ERR_POINT_REMOVED',
  'DC_ERR_MUTED_BY_OPERATOR',
  'DC_ERR_INVALID_MESSAGE',
  'DC_ERR_INVALID_PARAMS',
  'DC_ERR_UNKNOWN_METHOD',
  'DC_ERR_FRAME_TOO_LARGE',
  'DC_ERR_NOT_AUTHENTICATED',
  'DC_ERR_ALREADY_AUTHENTICATED',
  'DC_ERR_NOT_JOINED',
  'DC_ERR_TRANSPORT_NOT_FOUND',
  'DC_ERR_PRODUCER_NOT_FOUND',
  'DC_ERR_CONSUMER_NOT_FOUND',
  'DC_ERR_POINT_NOT_FOUND',
  'DC_ERR_CANNOT_CONSUME',
  'DC_ERR_MEDIA_FAILED',
  'DC_ERR_TOO_MANY_REQUESTS',
  'DC_ERR_DISK_LOW',
  'DC_ERR_NOT_FOUND',
  'DC_ERR_BAD_REQUEST',
  'DC_ERR_INTERNAL',
  'DC_ERR_UNAVAILABLE',
  'DC_ERR_RECORDER_INTERRUPTED',
  'DC_ERR_SESSION_NOT_FOUND',
  'DC_ERR_SESSION_EXISTS',
  'DC_ERR_INVALID_TRANSITION',
  'DC_ERR_TRANSITION_NOT_DUE',
  'DC_ERR_SESSION_NOT_EDITABLE',
  'DC_ERR_EDIT_CONFLICT',
  'DC_ERR_SESSION_NOT_OPEN',
  'DC_ERR_SESSION_ENDED',
  'DC_ERR_POINT_EXISTS',
  'DC_ERR_CENTRAL_POINT',
  'DC_ERR_TOO_MANY_POINTS',
  'DC_ERR_CREDENTIAL_REVOKED',
  'DC_ERR_LOGIN_FAILED',
  'DC_ERR_LOGIN_LOCKED',
  'DC_ERR_NOT_SIGNED_IN',
  'DC_ERR_CSRF',
  'DC_ERR_OPERATOR_EXISTS',
  'DC_ERR_OPERATOR_NOT_FOUND',
  'DC_ERR_RECORDINGS_NOT_FINAL',
  'DC_ERR_STORE_TOO_NEW',
  'DC_ERR_STORE_BUSY',
] as const;

/**
 * Raised by the SDK itself, not sent by the server: the server could not be reached,
 * the connection dropped under a request, a request got no answer, an answer without a
 * code. In the one catalogue too, so each has one meaning everywhere.
 */
export const CLIENT_ERROR_CODES = [
  'DC_ERR_CONNECT_TIMEOUT',
  'DC_ERR_CONNECT_FAILED',
  'DC_ERR_DISCONNECTED',
  'DC_ERR_REQUEST_TIMEOUT',
  'DC_ERR_UNKNOWN',
] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
export type ErrorCode = ServerErrorCode | ClientErrorCode;

/** The wire shape of every error, over HTTP and signaling alike. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

/**
 * Refusals no retry can fix: a client that gets one stops reconnecting and says why
 * (a dead link, a removed point, a locked or full session).
 */
export const FINAL_ERROR_CODES: readonly ErrorCode[] = [
  'DC_ERR_TOKEN_MISSING',
  'DC_ERR_TOKEN_EXPIRED',
  'DC_ERR_TOKEN_INVALID',
  'DC_ERR_TOKEN_WRONG_SESSION',
  'DC_ERR_POINT_REMOVED',
  'DC_ERR_SESSION_LOCKED',
  'DC_ERR_SESSION_FULL',
  'DC_ERR_CREDENTIAL_REVOKED',
  'DC_ERR_SESSION_NOT_OPEN',
  'DC_ERR_SESSION_ENDED',
  'DC_ERR_SESSION_NOT_FOUND',
];
