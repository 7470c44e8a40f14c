import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict: an unknown flag is a usage error (exit 2), never silently ignored. */
export function parseFlags<T extends Options>(args: string[], options: T) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}

export const CONFIG_FLAG = { config: { type: 'string', short: 'c' } } as const;
