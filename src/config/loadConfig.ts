/**
 * Configuration is read once at boot: `config/default.json`, then `--config FILE`
 * (JSON or YAML), then `DIEMCAU_*` environment variables. The result is validated
 * against the one schema and frozen; any invalid value fails naming its key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errors } from '../../common/errors.js';
import { projectRoot } from '../../common/paths.js';
import { addressProblems } from './addresses.js';
import {
  type Config,
  type FieldSpec,
  envNameFor,
  isFieldSpec,
  listFields,
  schema,
} from './schema.js';

export interface LoadConfigOptions {
  /** `--config FILE`, relative to `cwd`. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Where a relative `--config` path is looked for (the shell's directory). */
  cwd?: string;
  /**
   * Relative paths in values (`dataDir`, certificate files, …) are taken from here: the
   * install directory, whatever directory a command is run from, so `serve` and every
   * other command find the same data (and the same signing key).
   */
  root?: string;
}

type Source = { label: string };
type Problems = string[];

export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const root = options.root ?? projectRoot;
  const problems: Problems = [];

  const merged = structuredClone(readDefaults()) as Record<string, unknown>;
  if (options.file !== undefined) {
    const fromFile = readConfigFile(path.resolve(cwd, options.file));
    mergeInto(merged, fromFile, [], schema, problems, { label: options.file });
  }
  for (const { path: keyPath, spec } of listFields()) {
    const name = envNameFor(keyPath);
    const raw = env[name];
    if (raw === undefined) {
      continue;
    }
    const value = parseEnvValue(raw, spec);
    setAt(merged, keyPath, value);
  }

  validate(merged, schema, [], problems, env);
  if (problems.length === 0) {
    problems.push(...addressProblems(merged as unknown as Config));
  }
  if (problems.length > 0) {
    throw new errors.CONFIG_INVALID(problems.join('; '));
  }
  const config = merged as unknown as Config;
  config.dataDir = path.resolve(root, config.dataDir);
  for (const key of ['tlsCertFile', 'tlsKeyFile'] as const) {
    const file = config.http[key];
    if (file !== null) {
      config.http[key] = path.resolve(root, file);
    }
  }
  if (config.mediasoup.workerBin !== null) {
    config.mediasoup.workerBin = path.resolve(root, config.mediasoup.workerBin);
  }
  if (config.ffmpeg.path !== null && config.ffmpeg.path.includes('/')) {
    config.ffmpeg.path = path.resolve(root, config.ffmpeg.path);
  }
  return deepFreeze(config);
}

function readDefaults(): unknown {
  const file = path.join(projectRoot, 'config', 'default.json');
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new errors.CONFIG_FILE_UNREADABLE(file, (err as Error).message);
  }
  try {
    return /\.json$/i.test(file) ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (err) {
    throw new errors.CONFIG_FILE_UNREADABLE(file, (err as Error).message);
  }
}

/** Copies a file's values over the defaults, refusing keys the schema does not know. */
function mergeInto(
  target: Record<string, unknown>,
  source: unknown,
  at: string[],
  node: object,
  problems: Problems,
  from: Source,
): void {
  if (source === null || source === undefined) {
    return;
  }
  if (typeof source !== 'object' || Array.isArray(source)) {
    problems.push(`${at.join('.') || '(top level)'}: must be an object (in ${from.label})`);
    return;
  }
  for (const [key, value] of Object.entries(source)) {
    const spec = (node as Record<string, unknown>)[key];
    const keyPath = [...at, key];
    if (spec === undefined) {
      problems.push(`${keyPath.join('.')}: unknown key (in ${from.label})`);
    } else if (isFieldSpec(spec)) {
      target[key] = value;
    } else {
      const child = (target[key] ?? {}) as Record<string, unknown>;
      target[key] = child;
      mergeInto(child, value, keyPath, spec as object, problems, from);
    }
  }
}

/** Environment values are strings; integers are parsed strictly so `abc` or `12x` fail. */
function parseEnvValue(raw: string, spec: FieldSpec): unknown {
  if (spec.type === 'integer') {
    return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  }
  if (spec.type === 'string' && spec.nullable && raw === '') {
    return null;
  }
  if (spec.type === 'boolean') {
    const v = raw.trim().toLowerCase();
    return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : raw;
  }
  return raw;
}

function validate(
  value: Record<string, unknown>,
  node: object,
  at: string[],
  problems: Problems,
  env: NodeJS.ProcessEnv,
): void {
  for (const [key, spec] of Object.entries(node)) {
    const keyPath = [...at, key];
    const name = keyPath.join('.');
    const v = value[key];
    if (!isFieldSpec(spec)) {
      if (typeof v !== 'object' || v === null) {
        problems.push(`${name}: must be an object`);
      } else {
        validate(v as Record<string, unknown>, spec as object, keyPath, problems, env);
      }
      continue;
    }
    const problem = checkField(v, spec);
    if (problem !== null) {
      const envName = envNameFor(keyPath);
      const origin = env[envName] !== undefined ? ` (from ${envName})` : '';
      const got = spec.secret === true ? '(secret, not shown)' : (JSON.stringify(v) ?? 'nothing');
      problems.push(`${name}: ${problem}, got ${got}${origin}`);
    }
  }
}

function checkField(v: unknown, spec: FieldSpec): string | null {
  switch (spec.type) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max
        ? null
        : `must be an integer from ${spec.min} to ${spec.max}`;
    case 'string':
      if (v === null && spec.nullable) {
        return null;
      }
      if (typeof v === 'string' && spec.minLength !== undefined && v.length < spec.minLength) {
        return `must be at least ${spec.minLength} characters`;
      }
      return typeof v === 'string' && v.length > 0
        ? null
        : spec.nullable
          ? 'must be a non-empty string or null'
          : 'must be a non-empty string';
    case 'enum':
      return typeof v === 'string' && spec.values.includes(v)
        ? null
        : `must be one of ${spec.values.join(', ')}`;
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
  }
}

function setAt(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const part of keyPath.slice(0, -1)) {
    node = (node[part] ?? {}) as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}
