import { POINT_KINDS, type PointKind, ROLES, type Role } from '../auth/roles.js';
import { loadSigningKey } from '../auth/signingKey.js';
import { TokenService } from '../auth/TokenService.js';
import { errors } from '../../common/errors.js';
import { publicUrlOf } from '../config/addresses.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bootConfig } from './bootConfig.js';
import { findRunningServer, signingKeyFile } from './runningServer.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/**
 * `diemcau token --session S --point P --role R [--name N] [--kind K] [--ttl 12h]`:
 * an invitation for one bridge point. Prints the token; with `--url`, the delegate
 * page's address with the token in it.
 */
export async function tokenCommand(args: string[]): Promise<number> {
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
  const base = publicUrlOf(config);
  if (values.url && base === null) {
    throw new errors.USAGE(
      `the server binds ${config.http.host} (every interface): set http.publicUrl ` +
        '(DIEMCAU_HTTP_PUBLIC_URL), the address delegates open, e.g. https://192.168.1.10:4443',
    );
  }
  if (config.auth.jwtSecret === null && !existsSync(signingKeyFile(config))) {
    // A key made now would be this data directory's alone: a server running elsewhere
    // would refuse every link signed with it.
    const running = await findRunningServer(config);
    if (running) {
      console.error(
        `diemcau: no signing key in ${path.dirname(signingKeyFile(config))}, but the diemcau server at ${running.url} is running` +
          `${running.archivePath ? ` with its data in ${path.dirname(running.archivePath)}` : ' with another data directory'}: ` +
          'links made here would be refused there. Run this command with that data directory (DIEMCAU_DATA_DIR, or --config).',
      );
      return 1;
    }
    console.error(
      `diemcau: made a new signing key in ${path.dirname(signingKeyFile(config))}: only a server started with this data directory accepts these links`,
    );
  }
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
    console.log(`${base ?? ''}/join?token=${token}`);
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
