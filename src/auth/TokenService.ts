/**
 * Invitation tokens: a JWT (HS256) binding one session, one bridge point and one role.
 * Verification pins the algorithm, so `alg: none` and tokens signed for another
 * algorithm are refused, and maps every failure to a coded error the client can show.
 */
import jwt from 'jsonwebtoken';
import { errors } from '../../common/errors.js';
import { ID_PATTERN, POINT_KINDS, type PointKind, ROLES, type Role } from './roles.js';

export interface TokenClaims {
  sessionId: string;
  pointId: string;
  role: Role;
  /** Shown on the point's tile, e.g. "UBND tỉnh Lào Cai". */
  pointName: string;
  pointKind: PointKind;
  /**
   * The stored credential this token stands for (a planned session's point): checked
   * against the store at each use, so a revoked one stops working at once. Absent for
   * ad-hoc tokens (`diemcau token`).
   */
  credentialId?: string;
}

export interface VerifiedToken extends TokenClaims {
  expiresAt: Date;
}

const ISSUER = 'diemcau';

interface Payload {
  sid: string;
  pid: string;
  role: Role;
  name: string;
  kind: PointKind;
  cid?: string;
}

export class TokenService {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  issue(claims: TokenClaims, ttlSeconds: number): string {
    checkClaims(claims);
    const payload: Payload = {
      sid: claims.sessionId,
      pid: claims.pointId,
      role: claims.role,
      name: claims.pointName,
      kind: claims.pointKind,
      ...(claims.credentialId !== undefined ? { cid: claims.credentialId } : {}),
    };
    return jwt.sign(payload, this.#secret, {
      algorithm: 'HS256',
      expiresIn: ttlSeconds,
      issuer: ISSUER,
    });
  }

  verify(token: unknown): VerifiedToken {
    if (typeof token !== 'string' || token.length === 0) {
      throw new errors.TOKEN_MISSING();
    }
    if (token.length > 4096) {
      throw new errors.TOKEN_INVALID('too long');
    }
    let decoded: jwt.JwtPayload | string;
    try {
      decoded = jwt.verify(token, this.#secret, { algorithms: ['HS256'], issuer: ISSUER });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) {
        throw new errors.TOKEN_EXPIRED();
      }
      throw new errors.TOKEN_INVALID((err as Error).message);
    }
    if (typeof decoded === 'string' || typeof decoded.exp !== 'number') {
      throw new errors.TOKEN_INVALID('no expiry');
    }
    const p = decoded as jwt.JwtPayload & Partial<Payload>;
    const claims = {
      sessionId: p.sid,
      pointId: p.pid,
      role: p.role,
      pointName: p.name,
      pointKind: p.kind,
      ...(typeof p.cid === 'string' ? { credentialId: p.cid } : {}),
    } as TokenClaims;
    checkClaims(claims);
    return { ...claims, expiresAt: new Date(decoded.exp * 1000) };
  }
}

function checkClaims(c: TokenClaims): void {
  const bad = (why: string): never => {
    throw new errors.TOKEN_INVALID(why);
  };
  if (typeof c.sessionId !== 'string' || !ID_PATTERN.test(c.sessionId)) {
    bad('session id must be 1-64 letters, digits, ".", "_" or "-"');
  }
  if (typeof c.pointId !== 'string' || !ID_PATTERN.test(c.pointId)) {
    bad('point id must be 1-64 letters, digits, ".", "_" or "-"');
  }
  if (!ROLES.includes(c.role)) {
    bad(`role must be one of ${ROLES.join(', ')}`);
  }
  if (!POINT_KINDS.includes(c.pointKind)) {
    bad(`point kind must be one of ${POINT_KINDS.join(', ')}`);
  }
  if (typeof c.pointName !== 'string' || c.pointName.length === 0 || c.pointName.length > 120) {
    bad('point name must be 1-120 characters');
  }
}
