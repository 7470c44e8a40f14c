/**
 * Who an operator API request speaks for: a console login (its cookie, and for anything
 * that changes state its CSRF token in `x-csrf-token`), an operator account's bearer
 * token, or an operator credential made with `diemcau token --role operator`. Anything
 * else is refused with a coded 401/403.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../common/errors.js';
import type { Operators } from '../auth/Operators.js';
import type { TokenService } from '../auth/TokenService.js';
import { bearerToken } from './credentials.js';

export const CONSOLE_COOKIE = 'diemcau_console';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator this request acts for, as events record it (`operator:<name>`). */
    operator?: string;
  }
}

export function operatorAuth(tokens: TokenService, operators: Operators) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    await Promise.resolve();
    const bearer = bearerToken(req);
    if (bearer !== undefined) {
      const name = operators.verifyToken(bearer);
      if (name !== null) {
        req.operator = `operator:${name}`;
        return;
      }
      const claims = tokens.verify(bearer);
      if (claims.role !== 'operator') {
        throw new errors.FORBIDDEN('this needs an operator');
      }
      req.operator = `operator:${claims.pointId}`;
      return;
    }
    const cookie = req.cookies[CONSOLE_COOKIE];
    if (cookie === undefined) {
      // Neither a token nor a sign-in: what a script without its token gets.
      throw new errors.TOKEN_MISSING();
    }
    const login = operators.consoleLogin(cookie);
    if (!login) {
      throw new errors.NOT_SIGNED_IN();
    }
    // A cookie goes with every request the browser makes, a form's from another site
    // too (SameSite=Strict stops most): what changes state must also show the token the
    // console got at sign-in, which another site cannot read.
    if (!SAFE_METHODS.has(req.method) && req.headers['x-csrf-token'] !== login.csrf) {
      throw new errors.CSRF();
    }
    req.operator = `operator:${login.operator}`;
  };
}
