import { listFields } from '../config/schema.js';
import { bootConfig } from './bootConfig.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/** Prints the effective configuration, so a deployment script can see what a server will use. */
export function configCommand(args: string[]): number {
  const { values } = parseFlags(args, CONFIG_FLAG);
  const config = structuredClone(bootConfig(values.config)) as unknown as Record<string, unknown>;
  for (const { path, spec } of listFields()) {
    if (spec.secret === true) {
      let node = config;
      for (const part of path.slice(0, -1)) {
        node = node[part] as Record<string, unknown>;
      }
      node[path[path.length - 1] as string] = '[redacted]';
    }
  }
  console.log(JSON.stringify(config, null, 2));
  return 0;
}
