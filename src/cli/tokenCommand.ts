import { POINT_KINDS, type PointKind, ROLES, type Role } from '../auth/roles.js';
import { loadSigningKey } from '../auth/signingKey.js';
import { TokenService } from '../auth/TokenService.js';
import { errors } from '../errors.js';
import { publicUrlOf } from '../config/addresses.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/**
 * `diemcau token --session S --point P --role R [--name N] [--kind K] [--ttl 12h]`:
 * an invitation for one bridge point. Prints the token; with `--url`, the delegate
 * page's address with the token in it.
 */
export function tokenCommand(args: string[]): number {
  const { values } = parseFlags(args, {
    ...CONFIG_FLAG,
    session: { type: 'string' },
    point: { type: 'string' },
    role: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    ttl: { type: 'string' },
    url: { type: 'boolean', default: false },
  });
  const config = bootConfig(values.config);
  for (const required of ['session', 'point', 'role'] as const) {
    if (values[required] === undefined) {
      throw new errors.USAGE(
        `--${required} is required: diemcau token --session S --point P --role ${ROLES.join('|')}`,
      );
    }
  }
  const role = values.role as Role;
  if (!ROLES.includes(role)) {
    throw new errors.USAGE(`--role must be one of ${ROLES.join(', ')}`);
  }
  const kind = (values.kind ??
    (role === 'operator' || role === 'host' ? 'central' : 'delegate')) as PointKind;
  if (!POINT_KINDS.includes(kind)) {
    throw new errors.USAGE(`--kind must be one of ${POINT_KINDS.join(', ')}`);
  }
  const ttl =
    values.ttl === undefined ? config.auth.defaultTokenTtlSeconds : parseDuration(values.ttl);
  const tokens = new TokenService(loadSigningKey(config));
  let token: string;
  try {
    token = tokens.issue(
      {
        sessionId: values.session as string,
        pointId: values.point as string,
        role,
        pointKind: kind,
        pointName: values.name ?? (values.point as string),
      },
      ttl,
    );
  } catch (err) {
    throw new errors.USAGE((err as Error).message);
  }
  if (values.url) {
    const base = publicUrlOf(config);
    if (base === null) {
      throw new errors.USAGE(
        `the server binds ${config.http.host} (every interface): set http.publicUrl ` +
          '(DIEMCAU_HTTP_PUBLIC_URL), the address delegates open, e.g. https://192.168.1.10:4443',
      );
    }
    console.log(`${base}/join?token=${token}`);
  } else {
    console.log(token);
  }
  return 0;
}

/** `90`, `90s`, `30m`, `12h`, `7d` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) {
    throw new errors.USAGE(`--ttl must look like 90s, 30m, 12h or 7d, got "${text}"`);
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds < 1 || seconds > 365 * 86400) {
    throw new errors.USAGE('--ttl must be between 1 second and 365 days');
  }
  return seconds;
}
