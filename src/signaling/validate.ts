/**
 * A small schema validator for signaling messages. Every request's `data` is checked
 * before any handler sees it; a failure names the field (`data.transportId: must be a
 * string`), so a hostile or buggy client gets a precise coded error and nothing else.
 * Deep mediasoup structures (RTP and DTLS parameters) are checked for shape and size
 * here, and for meaning by mediasoup itself.
 */
import { errors } from '../../common/errors.js';

export type Validator<T> = (value: unknown, path: string) => T;
export type Infer<V> = V extends Validator<infer T> ? T : never;

function fail(path: string, why: string): never {
  throw new errors.INVALID_PARAMS(`${path}: ${why}`);
}

export const v = {
  string:
    (opts: { max?: number; pattern?: RegExp } = {}): Validator<string> =>
    (value, path) => {
      if (typeof value !== 'string') {
        return fail(path, 'must be a string');
      }
      if (value.length > (opts.max ?? 256)) {
        return fail(path, `must be at most ${opts.max ?? 256} characters`);
      }
      if (opts.pattern && !opts.pattern.test(value)) {
        return fail(path, 'has an invalid format');
      }
      return value;
    },

  integer:
    (min: number, max: number): Validator<number> =>
    (value, path) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        return fail(path, `must be an integer from ${min} to ${max}`);
      }
      return value;
    },

  /** A finite number within bounds (a measured figure). */
  number:
    (min: number, max: number): Validator<number> =>
    (value, path) => {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        return fail(path, `must be a number from ${min} to ${max}`);
      }
      return value;
    },

  boolean: (): Validator<boolean> => (value, path) => {
    if (typeof value !== 'boolean') {
      return fail(path, 'must be true or false');
    }
    return value;
  },

  oneOf:
    <T extends string>(values: readonly T[]): Validator<T> =>
    (value, path) => {
      if (typeof value !== 'string' || !values.includes(value as T)) {
        return fail(path, `must be one of ${values.join(', ')}`);
      }
      return value as T;
    },

  optional:
    <T>(inner: Validator<T>): Validator<T | undefined> =>
    (value, path) =>
      value === undefined ? undefined : inner(value, path),

  nullable:
    <T>(inner: Validator<T>): Validator<T | null> =>
    (value, path) =>
      value === null ? null : inner(value, path),

  object:
    <S extends Record<string, Validator<unknown>>>(
      shape: S,
    ): Validator<{ [K in keyof S]: Infer<S[K]> }> =>
    (value, path) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(path, 'must be an object');
      }
      for (const key of Object.keys(value)) {
        if (!(key in shape)) {
          return fail(`${path}.${key}`, 'is not a known field');
        }
      }
      const out: Record<string, unknown> = {};
      for (const [key, check] of Object.entries(shape)) {
        const result = check((value as Record<string, unknown>)[key], `${path}.${key}`);
        if (result !== undefined) {
          out[key] = result;
        }
      }
      return out as { [K in keyof S]: Infer<S[K]> };
    },

  /**
   * A JSON object passed on to mediasoup (RTP capabilities, RTP/DTLS parameters): must be
   * a plain object of bounded depth and size; mediasoup validates its meaning.
   */
  json:
    (maxBytes: number): Validator<Record<string, unknown>> =>
    (value, path) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(path, 'must be an object');
      }
      if (tooDeep(value, 12)) {
        return fail(path, 'is nested too deeply');
      }
      if (JSON.stringify(value).length > maxBytes) {
        return fail(path, `is larger than ${maxBytes} bytes`);
      }
      return value as Record<string, unknown>;
    },
};

/** Stops descending at the limit, so a hostile 30,000-level object costs nothing. */
function tooDeep(value: unknown, remaining: number): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  if (remaining === 0) {
    return true;
  }
  return Object.values(value).some((child) => tooDeep(child, remaining - 1));
}
