/**
 * `diemcau session …`, `diemcau point …`, `diemcau invite …`, `diemcau operator …`: the
 * central point's planning from the command line, on the same services and database as
 * the running server (which need not be running). Listings take `--json` for scripts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errors } from '../../common/errors.js';
import { loadSigningKey } from '../auth/signingKey.js';
import { publicUrlOf } from '../config/addresses.js';
import type { Config } from '../config/schema.js';
import { invitationHtml, invitationText } from '../sessions/invitation.js';
import { Planning } from '../sessions/Planning.js';
import type { SessionView } from '../sessions/SessionService.js';
import type { PointFields, SessionFields } from '../sessions/sessionInput.js';
import type { SessionState } from '../sessions/plan.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';
import { parseDuration } from './tokenCommand.js';

/** Who the command line acts as, in the audit log. */
const CLI = `cli:${process.env['SUDO_USER'] ?? process.env['USER'] ?? 'operator'}`;

function openPlanning(config: Readonly<Config>): Planning {
  return Planning.open({
    config,
    signingKey: loadSigningKey(config),
    publicUrl: () => publicUrlOf(config) ?? `https://${config.http.host}:${config.http.port}`,
  });
}

async function withPlanning<T>(
  args: string[],
  options: Parameters<typeof parseFlags>[1],
  work: (
    planning: Planning,
    values: Record<string, string | boolean | undefined>,
    positionals: string[],
  ) => T | Promise<T>,
): Promise<T> {
  const { values, positionals } = parseFlags(args, { ...CONFIG_FLAG, ...options });
  const planning = openPlanning(bootConfig(values['config']));
  try {
    return await work(planning, values, positionals);
  } finally {
    planning.close();
  }
}

const print = (value: unknown): void => console.log(JSON.stringify(value, null, 2));

function summary(s: SessionView): string {
  const late = s.late.length > 0 ? `  LATE: ${s.late.join(', ')}` : '';
  return `${s.id}  ${s.state.padEnd(9)}  ${s.startsAt}  ${s.points.length} points  ${s.title}${late}`;
}

const SESSION_FLAGS = {
  id: { type: 'string' },
  title: { type: 'string' },
  case: { type: 'string' },
  category: { type: 'string' },
  'host-level': { type: 'string' },
  chair: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  rehearsal: { type: 'string' },
  'link-mbps': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function sessionFields(v: Record<string, string | boolean | undefined>): SessionFields {
  const str = (k: string): string | undefined => v[k] as string | undefined;
  return {
    ...(str('title') !== undefined ? { title: str('title') } : {}),
    ...(str('case') !== undefined ? { caseSummary: str('case') } : {}),
    ...(str('category') !== undefined
      ? { category: str('category') as SessionFields['category'] }
      : {}),
    ...(str('host-level') !== undefined
      ? { hostLevel: str('host-level') as SessionFields['hostLevel'] }
      : {}),
    ...(str('chair') !== undefined ? { chair: str('chair') } : {}),
    ...(str('start') !== undefined ? { startsAt: str('start') } : {}),
    ...(str('end') !== undefined ? { endsAt: str('end') } : {}),
    ...(str('rehearsal') !== undefined ? { rehearsalAt: str('rehearsal') || null } : {}),
    // An empty value gives the session back its even share of the link.
    ...(str('link-mbps') !== undefined
      ? { linkMbps: str('link-mbps') ? Number(str('link-mbps')) : null }
      : {}),
  };
}

export async function sessionCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'create':
      return withPlanning(rest, SESSION_FLAGS, (p, v) => {
        const view = p.sessions.create(
          { ...sessionFields(v), ...(v['id'] !== undefined ? { id: v['id'] as string } : {}) },
          CLI,
        );
        if (v['json']) {
          print(view);
        } else {
          console.log(`planned ${summary(view)}`);
        }
        return 0;
      });
    case 'list':
      return withPlanning(rest, { json: { type: 'boolean', default: false } }, (p, v) => {
        const all = p.sessions.list();
        if (v['json']) {
          print(all);
        } else {
          for (const s of all) {
            console.log(summary(s));
          }
        }
        return 0;
      });
    case 'show':
      return withPlanning(rest, { json: { type: 'boolean', default: false } }, (p, v, pos) => {
        const view = p.sessions.view(required(pos[0], 'session show SESSION'));
        if (v['json']) {
          print({ ...view, readiness: p.sessions.progress(view.id) });
        } else {
          console.log(summary(view));
          console.log(`  ${view.caseSummary}`);
          console.log(
            `  due: ${Object.entries(view.due)
              .map(([k, t]) => `${k} ${t}`)
              .join(', ')}`,
          );
          for (const pt of view.points) {
            const c = p.credentials.current(view.id, pt.id);
            console.log(
              `  ${pt.kind === 'central' ? '*' : '-'} ${pt.id}  ${pt.name}  ${c ? `login ${c.login}` : 'no credential'}`,
            );
          }
        }
        return 0;
      });
    case 'edit':
      return withPlanning(rest, SESSION_FLAGS, (p, v, pos) => {
        const view = p.sessions.edit(
          required(pos[0], 'session edit SESSION [--title …]'),
          sessionFields(v),
          CLI,
        );
        console.log(v['json'] ? JSON.stringify(view, null, 2) : `edited ${summary(view)}`);
        return 0;
      });
    case 'open':
    case 'end':
    case 'cancel':
    case 'ready':
    case 'archive': {
      const to: Record<string, SessionState> = {
        open: 'live',
        end: 'ended',
        cancel: 'cancelled',
        ready: 'ready',
        archive: 'archived',
      };
      return withPlanning(
        rest,
        { reason: { type: 'string' }, json: { type: 'boolean', default: false } },
        (p, v, pos) => {
          const view = p.sessions.transition(
            required(pos[0], `session ${action} SESSION`),
            to[action] as SessionState,
            CLI,
            v['reason'] as string | undefined,
          );
          console.log(v['json'] ? JSON.stringify(view, null, 2) : `${view.id} is ${view.state}`);
          return 0;
        },
      );
    }
    default:
      throw new errors.USAGE('usage: diemcau session create|list|show|edit|open|end|cancel …');
  }
}

const POINT_FLAGS = {
  id: { type: 'string' },
  kind: { type: 'string' },
  name: { type: 'string' },
  organisation: { type: 'string' },
  person: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
} as const;

function pointFields(v: Record<string, unknown>): PointFields {
  const people = (v['person'] as string[] | undefined)?.map((entry) => {
    const [role = '', ...name] = entry.split(':');
    return { role: role.trim(), name: name.join(':').trim() };
  });
  return {
    ...(v['id'] !== undefined ? { id: v['id'] as string } : {}),
    ...(v['kind'] !== undefined ? { kind: v['kind'] as PointFields['kind'] } : {}),
    ...(v['name'] !== undefined ? { name: v['name'] as string } : {}),
    ...(v['organisation'] !== undefined ? { organisation: v['organisation'] as string } : {}),
    ...(people ? { people } : {}),
  };
}

export async function pointCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'add':
      return withPlanning(rest, POINT_FLAGS, (p, v, pos) => {
        const point = p.sessions.addPoint(
          required(pos[0], 'point add SESSION --kind K --name N'),
          pointFields(v),
          CLI,
        );
        console.log(
          v['json']
            ? JSON.stringify(point, null, 2)
            : `added ${point.id} (${point.kind}) ${point.name}`,
        );
        return 0;
      });
    case 'edit':
      return withPlanning(rest, POINT_FLAGS, (p, v, pos) => {
        const point = p.sessions.editPoint(
          required(pos[0], 'point edit SESSION POINT'),
          required(pos[1], 'point edit SESSION POINT'),
          pointFields(v),
          CLI,
        );
        console.log(v['json'] ? JSON.stringify(point, null, 2) : `edited ${point.id}`);
        return 0;
      });
    case 'remove':
      return withPlanning(rest, {}, (p, _v, pos) => {
        p.sessions.removePoint(
          required(pos[0], 'point remove SESSION POINT'),
          required(pos[1], 'point remove SESSION POINT'),
          CLI,
        );
        console.log(`removed ${pos[1]}`);
        return 0;
      });
    default:
      throw new errors.USAGE('usage: diemcau point add|edit|remove SESSION [POINT] …');
  }
}

/**
 * `diemcau invite SESSION POINT`: the point's invitation (issuing its credential first
 * when none is in force; `--reissue` replaces the one in force).
 */
export async function inviteCommand(args: string[]): Promise<number> {
  return withPlanning(
    args,
    {
      format: { type: 'string', default: 'txt' },
      lang: { type: 'string', default: 'vi' },
      out: { type: 'string' },
      reissue: { type: 'boolean', default: false },
    },
    (p, v, pos) => {
      const sessionId = required(pos[0], 'invite SESSION POINT');
      const pointId = required(pos[1], 'invite SESSION POINT');
      const format = v['format'] === 'html' ? 'html' : v['format'] === 'txt' ? 'txt' : null;
      const lang = v['lang'] === 'en' ? 'en' : v['lang'] === 'vi' ? 'vi' : null;
      if (!format || !lang) {
        throw new errors.USAGE('--format html|txt, --lang vi|en');
      }
      if (v['reissue'] || !p.credentials.reprint(sessionId, pointId)) {
        p.credentials.issue(sessionId, pointId, CLI);
      }
      const input = {
        session: p.sessions.view(sessionId),
        point: p.sessions.point(sessionId, pointId),
        credential: p.credentials.reprint(sessionId, pointId),
        joinPage: `${p.credentials.reprint(sessionId, pointId)?.joinUrl.split('/join')[0] ?? ''}/join`,
      };
      const text = format === 'html' ? invitationHtml(input, lang) : invitationText(input, lang);
      p.credentials.markPrinted(sessionId, pointId);
      if (typeof v['out'] === 'string') {
        writeFileSync(v['out'], text, { mode: 0o600 });
        console.log(`invitation for ${pointId} written to ${v['out']}`);
      } else {
        process.stdout.write(text);
      }
      return 0;
    },
  );
}

export async function operatorCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  switch (action) {
    case 'add':
      return withPlanning(
        rest,
        { 'password-stdin': { type: 'boolean', default: false } },
        (p, v, pos) => {
          const name = required(pos[0], 'operator add NAME --password-stdin');
          if (!v['password-stdin']) {
            throw new errors.USAGE('give the password on standard input: --password-stdin');
          }
          const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
          const op = p.operators.add(name, password);
          console.log(`operator ${op.name} added`);
          return 0;
        },
      );
    case 'list':
      return withPlanning(rest, { json: { type: 'boolean', default: false } }, (p, v) => {
        const all = p.operators.list();
        if (v['json']) {
          print(all);
        } else {
          for (const op of all) {
            console.log(`${op.name}  since ${op.createdAt}`);
          }
        }
        return 0;
      });
    case 'remove':
      return withPlanning(rest, {}, (p, _v, pos) => {
        p.operators.remove(required(pos[0], 'operator remove NAME'));
        console.log(`operator ${pos[0]} removed (its tokens with it)`);
        return 0;
      });
    case 'token':
      return withPlanning(rest, { ttl: { type: 'string', default: '30d' } }, (p, v, pos) => {
        const { token } = p.operators.token(
          required(pos[0], 'operator token NAME [--ttl 30d]'),
          parseDuration(v['ttl'] as string),
        );
        console.log(token);
        return 0;
      });
    default:
      throw new errors.USAGE('usage: diemcau operator add|list|remove|token NAME …');
  }
}

function required(value: string | undefined, usage: string): string {
  if (value === undefined) {
    throw new errors.USAGE(`usage: diemcau ${usage}`);
  }
  return value;
}
