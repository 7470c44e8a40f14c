/**
 * Who an HTTP request speaks for: a bearer token in `Authorization` (never in the URL,
 * which ends up in logs and browser history).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TokenService, VerifiedToken } from '../auth/TokenService.js';
import { errors } from '../../common/errors.js';

export function bearerToken(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** The request's invitation token, of any role; a coded 401/403 otherwise. */
export function requireToken(tokens: TokenService, req: FastifyRequest): VerifiedToken {
  return tokens.verify(bearerToken(req));
}

export function requireOperator(tokens: TokenService, req: FastifyRequest): VerifiedToken {
  const claims = requireToken(tokens, req);
  if (claims.role !== 'operator') {
    throw new errors.FORBIDDEN('this needs an operator token');
  }
  return claims;
}

/** An operator token, or the one static secret given (compared in constant time). */
export function isOperatorOrSecret(
  tokens: TokenService,
  req: FastifyRequest,
  secret: string | null,
): boolean {
  const token = bearerToken(req);
  if (token === undefined) {
    return false;
  }
  if (secret !== null) {
    const a = Buffer.from(token);
    const b = Buffer.from(secret);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      return true;
    }
  }
  try {
    return tokens.verify(token).role === 'operator';
  } catch {
    return false;
  }
}
