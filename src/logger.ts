import { pino, type Logger } from 'pino';
import { redactUrl } from './http/redactUrl.js';
import { secretLogPaths } from './config/schema.js';
import type { LogLevel } from './config/schema.js';

export type { Logger };

/**
 * Secrets never reach the log: configured secret keys, any `authorization` header and
 * any token in a query string are censored by pino itself, whatever the call site logs.
 */
export const REDACT_PATHS = [
  ...secretLogPaths(),
  'req.headers.authorization',
  'req.headers.cookie',
  '*.token',
  '*.password',
  '*.jwtSecret',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'diemcau' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    },
    destination,
  );
}

interface LoggableRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** Method, URL (tokens cut out) and remote address: never headers or bodies. */
function serializeRequest(req: LoggableRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  };
}
