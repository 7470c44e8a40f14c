/**
 * What an operator (through the API or the command line) may write of a session and its
 * points, checked here once for both: lengths, enums, times in order, ids safe for file
 * names. Text is kept as typed; it is escaped wherever it is shown.
 */
import { errors } from '../../common/errors.js';
import { ID_PATTERN } from '../auth/roles.js';
import {
  CATEGORIES,
  type Category,
  type ExpectedPerson,
  HOST_LEVELS,
  type HostLevel,
} from './plan.js';

export interface SessionFields {
  title?: string;
  caseSummary?: string;
  category?: Category;
  hostLevel?: HostLevel;
  chair?: string;
  startsAt?: string;
  endsAt?: string;
  rehearsalAt?: string | null;
  rehearsalOpen?: boolean;
  linkMbps?: number | null;
}

export interface PointFields {
  id?: string;
  kind?: 'central' | 'delegate';
  name?: string;
  organisation?: string;
  people?: ExpectedPerson[];
}

const bad = (what: string): never => {
  throw new errors.BAD_REQUEST(what);
};

/** A session's share of the central link: whole Mbit/s, or null for an even share. */
export function linkMbps(value: unknown): number | null {
  if (value === null) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100_000) {
    return bad('linkMbps: a whole number of Mbit/s from 1 to 100000, or null');
  }
  return value;
}

export function text(value: unknown, field: string, max: number, required: boolean): string {
  if (value === undefined && !required) {
    return '';
  }
  if (typeof value !== 'string') {
    return bad(`${field}: must be text`);
  }
  const trimmed = value.trim();
  if (required && trimmed.length === 0) {
    return bad(`${field}: must not be empty`);
  }
  if (trimmed.length > max) {
    return bad(`${field}: at most ${max} characters`);
  }
  // Control characters have no place in a name or a case (newlines aside).
  if ([...trimmed].some(isControl)) {
    return bad(`${field}: holds control characters`);
  }
  return trimmed;
}

/** A control character other than tab, newline and carriage return. */
function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return (code < 32 && code !== 9 && code !== 10 && code !== 13) || code === 127;
}

export function time(value: unknown, field: string): Date {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    return bad(`${field}: must be an ISO 8601 date and time, e.g. 2026-12-10T08:00:00+07:00`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return bad(`${field}: not a date`);
  }
  return date;
}

export function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    return bad(`${field}: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, values: readonly T[]): T {
  if (typeof value !== 'string' || !values.includes(value as T)) {
    return bad(`${field}: one of ${values.join(', ')}`);
  }
  return value as T;
}

export function people(value: unknown): ExpectedPerson[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || value.length > 30) {
    return bad('people: a list of at most 30 {role, name}');
  }
  return value.map((p: unknown, i) => {
    const entry = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    return {
      role: text(entry['role'], `people[${i}].role`, 60, true),
      name: text(entry['name'], `people[${i}].name`, 120, false),
    };
  });
}

/** Checks the schedule as a whole: a start before its end, within a day; a rehearsal before. */
export function checkSchedule(startsAt: Date, endsAt: Date, rehearsalAt: Date | null): void {
  if (endsAt <= startsAt) {
    bad('endsAt: must be after startsAt');
  }
  if (endsAt.getTime() - startsAt.getTime() > 24 * 3_600_000) {
    bad('endsAt: a session lasts at most a day');
  }
  if (rehearsalAt && rehearsalAt >= startsAt) {
    bad('rehearsalAt: must be before startsAt');
  }
}

export const category = (v: unknown): Category => oneOf(v, 'category', CATEGORIES);
export const hostLevel = (v: unknown): HostLevel => oneOf(v, 'hostLevel', HOST_LEVELS);

/** A file-name-safe id from a Vietnamese name: "UBND TP Hà Nội" → "ubnd-tp-ha-noi". */
export function slug(name: string, fallback: string): string {
  const ascii = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return ascii.length > 0 ? ascii : fallback;
}
