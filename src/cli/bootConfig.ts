import { loadConfig } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';

/** Every command reads configuration the same way, once. */
export function bootConfig(file: string | undefined): Readonly<Config> {
  return loadConfig({ file, env: process.env, cwd: process.cwd() });
}
