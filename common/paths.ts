import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project checkout (or image) root. Compiled code lives in `dist/src/`, and needs
 * files that are not compiled: `config/default.json`, the offline build's shims.
 */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** diemcau's version, from its package.json. */
export const packageVersion = (
  JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }
).version;
