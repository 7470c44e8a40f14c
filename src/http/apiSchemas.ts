/**
 * JSON schemas of the operator API (docs/contract.md, "Sessions, credentials,
 * operators"): Fastify validates every request with them and serialises every answer;
 * @fastify/swagger publishes them at /docs/json.
 */
import { POINT_KINDS, ROLES } from '../auth/roles.js';
import { CATEGORIES, HOST_LEVELS, SESSION_STATES, TEST_SLOTS } from '../sessions/plan.js';

const ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const TEXT = (maxLength: number) => ({ type: 'string', maxLength }) as const;

export const NO_QUERY = { type: 'object', additionalProperties: false } as const;

export const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const PERSON = {
  type: 'object',
  required: ['role'],
  additionalProperties: false,
  properties: { role: TEXT(60), name: TEXT(120) },
} as const;

export const POINT_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ID,
    kind: { type: 'string', enum: POINT_KINDS },
    name: TEXT(120),
    organisation: TEXT(200),
    people: { type: 'array', maxItems: 30, items: PERSON },
  },
} as const;

export const NEW_POINT_BODY = { ...POINT_BODY, required: ['kind', 'name'] } as const;

export const POINT = {
  type: 'object',
  required: ['id', 'kind', 'name', 'organisation', 'people'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    organisation: { type: 'string' },
    people: {
      type: 'array',
      items: { type: 'object', properties: { role: { type: 'string' }, name: { type: 'string' } } },
    },
  },
} as const;

const SESSION_FIELDS = {
  title: TEXT(200),
  caseSummary: TEXT(4000),
  category: { type: 'string', enum: CATEGORIES },
  hostLevel: { type: 'string', enum: HOST_LEVELS },
  chair: TEXT(200),
  startsAt: TIME,
  endsAt: TIME,
  rehearsalAt: { anyOf: [TIME, { type: 'null' }] },
  linkMbps: { anyOf: [{ type: 'integer', minimum: 1, maximum: 100_000 }, { type: 'null' }] },
} as const;

export const NEW_SESSION_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'category', 'hostLevel', 'startsAt', 'endsAt'],
  properties: {
    id: ID,
    ...SESSION_FIELDS,
    points: { type: 'array', maxItems: 64, items: NEW_POINT_BODY },
  },
} as const;

export const SESSION_PATCH_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...SESSION_FIELDS,
    rehearsalOpen: { type: 'boolean' },
    /** The revision the edit was made from: refused if the session changed since. */
    revision: { type: 'integer', minimum: 1 },
  },
} as const;

export const LIVE = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      properties: {
        openedAt: TIME,
        locked: { type: 'boolean' },
        spotlight: { type: ['string', 'null'] },
        workerPid: { type: ['integer', 'null'] },
        points: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              name: { type: 'string' },
              kind: { type: 'string', enum: POINT_KINDS },
              role: { type: 'string', enum: ROLES },
              connection: { type: 'string' },
              mutedByOperator: { type: 'boolean' },
            },
          },
        },
      },
    },
  ],
} as const;

export const SESSION = {
  type: 'object',
  required: ['id', 'title', 'state', 'startsAt', 'endsAt', 'due', 'late', 'points'],
  properties: {
    id: { type: 'string' },
    adHoc: { type: 'boolean' },
    title: { type: 'string' },
    caseSummary: { type: 'string' },
    category: { type: 'string' },
    hostLevel: { type: 'string' },
    chair: { type: 'string' },
    startsAt: TIME,
    endsAt: TIME,
    rehearsalAt: { type: ['string', 'null'] },
    rehearsalOpen: { type: 'boolean' },
    linkMbps: { type: ['integer', 'null'] },
    state: { type: 'string', enum: SESSION_STATES },
    readyOverride: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { by: { type: 'string' }, reason: { type: 'string' }, at: TIME },
        },
      ],
    },
    due: {
      type: 'object',
      properties: {
        plan: TIME,
        invitations: TIME,
        testDayBefore: TIME,
        testTwoHoursBefore: TIME,
      },
    },
    late: { type: 'array', items: { type: 'string' } },
    revision: { type: 'integer' },
    createdAt: TIME,
    updatedAt: TIME,
    points: { type: 'array', items: POINT },
    live: LIVE,
  },
} as const;

export const TRANSITION_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    to: { type: 'string', enum: ['invited', 'ready', 'live', 'ended', 'archived', 'cancelled'] },
    reason: TEXT(500),
  },
} as const;

export const CREDENTIAL = {
  type: 'object',
  required: ['joinUrl', 'login', 'password', 'expiresAt'],
  properties: {
    pointId: { type: 'string' },
    joinUrl: { type: 'string' },
    login: { type: 'string' },
    password: { type: 'string' },
    expiresAt: TIME,
  },
} as const;

export const TEST = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    pointId: { type: 'string' },
    slot: { type: 'string', enum: TEST_SLOTS },
    grade: { type: 'string', enum: ['pass', 'warn', 'fail'] },
    figures: { type: 'object', additionalProperties: true },
    at: TIME,
  },
} as const;

export const LOGIN_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: { username: TEXT(64), password: TEXT(200) },
} as const;

export const POINT_LOGIN_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['login', 'password'],
  properties: { login: TEXT(64), password: TEXT(200) },
} as const;

export const SESSION_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: ID },
} as const;

export const POINT_PARAMS = {
  type: 'object',
  required: ['id', 'pointId'],
  properties: { id: ID, pointId: ID },
} as const;
