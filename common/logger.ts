import { pino, type Logger } from 'pino';
import { redactUrl } from './redactUrl.js';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Secrets never reach the log: configured secret keys, any `authorization` header and
 * any token in a query string are censored by pino itself, whatever the call site logs.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.token',
  '*.password',
  '*.jwtSecret',
];

export function createLogger(
  level: LogLevel,
  destination?: pino.DestinationStream,
  /** More paths to censor: the configuration's secret keys (`config.auth.jwtSecret`, …). */
  secretPaths: readonly string[] = [],
): Logger {
  return pino(
    {
      level,
      base: { service: 'diemcau' },
      redact: { paths: [...secretPaths, ...REDACT_PATHS], censor: '[redacted]' },
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
