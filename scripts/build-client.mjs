// Builds the browser side into dist/client/: the client SDK as one ES module (served at
// /sdk/diemcau-client.js), the delegate page, which loads the SDK from that address, and
// the operator console.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'client');
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: [path.join(root, 'client-sdk/src/index.ts')],
  outfile: path.join(out, 'diemcau-client.js'),
});
await build({
  ...common,
  entryPoints: [path.join(root, 'client-sdk/pages/join.ts')],
  outfile: path.join(out, 'join.js'),
  external: ['/sdk/diemcau-client.js'],
});
for (const file of ['join.html', 'join.css']) {
  copyFileSync(path.join(root, 'client-sdk/pages', file), path.join(out, file));
}
// The operator console: its own bundle (it needs no media, so not the SDK).
await build({
  ...common,
  entryPoints: [path.join(root, 'client-sdk/console/console.ts')],
  outfile: path.join(out, 'console.js'),
});
for (const file of ['console.html', 'console.css']) {
  copyFileSync(path.join(root, 'client-sdk/console', file), path.join(out, file));
}
