// The repository's own import graph (relative imports of .ts files), for the folder
// boundaries and the no-cycle check (test/repository.test.ts). Usage: node
// scripts/import-graph.mjs [--cycles] prints the cycles, if any, and exits 1 on one.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = [
  'common',
  'protocol',
  'archive',
  'recorder',
  'workers',
  'src',
  'client-sdk',
  'test',
  'bench',
];
const SKIP = new Set(['node_modules', 'dist', 'shims']);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) {
      continue;
    }
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      walk(full, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** file (relative to the root) → the files it imports (relative to the root). */
export function importGraph() {
  const files = FOLDERS.filter((f) => existsSync(path.join(root, f))).flatMap((f) =>
    walk(path.join(root, f), []),
  );
  const graph = new Map();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const resolved = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(resolved)) {
        targets.add(path.relative(root, resolved));
      }
    }
    graph.set(path.relative(root, file), [...targets]);
  }
  return graph;
}

/** Every strongly connected group of more than one file (or a file importing itself). */
export function cycles(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) {
        found.push(group.sort());
      }
    }
  };
  for (const v of graph.keys()) {
    if (!idx.has(v)) {
      visit(v);
    }
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = cycles(importGraph());
  for (const group of found) {
    console.log(`cycle: ${group.join(' ↔ ')}`);
  }
  process.exit(found.length > 0 ? 1 : 0);
}
