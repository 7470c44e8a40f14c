import path from 'node:path';
import { ESLint } from 'eslint';
import t from 'tap';
import tseslint from 'typescript-eslint';
import { projectRoot } from '../common/paths.js';

// The folders' import directions are enforced by `npm run lint` (eslint.boundaries.js):
// each forbidden import is linted here as if written in that folder, and must fail.
const { boundaries } = (await import(path.join(projectRoot, 'eslint.boundaries.js'))) as {
  boundaries: object[];
};
const { cycles, importGraph } = (await import(
  path.join(projectRoot, 'scripts', 'import-graph.mjs')
)) as {
  cycles: (graph: Map<string, string[]>) => string[][];
  importGraph: () => Map<string, string[]>;
};

const eslint = new ESLint({
  cwd: projectRoot,
  overrideConfigFile: true,
  overrideConfig: [{ languageOptions: { parser: tseslint.parser } }, ...boundaries],
});

async function restricted(file: string, from: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import { x } from '${from}';\nexport { x };\n`, {
    filePath: path.join(projectRoot, file),
  });
  return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
}

const cases: [file: string, from: string, forbidden: boolean][] = [
  ['common/fixture.ts', '../src/config/schema.js', true],
  ['common/fixture.ts', '../protocol/signaling.js', true],
  ['common/fixture.ts', './errors.js', false],
  ['protocol/fixture.ts', '../common/errors.js', true],
  ['workers/fixture.ts', '../src/Server.js', true],
  ['workers/offline/fixture.ts', '../../archive/manifest.js', true],
  ['workers/fixture.ts', '../common/errors.js', false],
  ['archive/fixture.ts', '../recorder/PointRecorder.js', true],
  ['archive/fixture.ts', '../src/errors.js', true],
  ['archive/fixture.ts', '../protocol/recorder.js', false],
  ['recorder/fixture.ts', '../src/recording/SessionRecorder.js', true],
  ['recorder/fixture.ts', '../workers/WorkerPool.js', true],
  ['recorder/fixture.ts', '../archive/manifest.js', false],
  ['client-sdk/src/fixture.ts', '../../common/errors.js', true],
  ['client-sdk/pages/fixture.ts', '../../src/errors.js', true],
  ['client-sdk/pages/fixture.ts', '../src/index.js', false],
  ['client-sdk/src/fixture.ts', '../../protocol/signaling.js', false],
  ['src/fixture.ts', '../archive/manifest.js', false],
];

t.test('an import against the folders’ direction fails the lint', async (t) => {
  for (const [file, from, forbidden] of cases) {
    t.equal(await restricted(file, from), forbidden, `${file}: import '${from}'`);
  }
});

t.test('no file imports in a circle', (t) => {
  const graph = importGraph();
  t.ok(graph.size > 100, `${graph.size} files read`);
  t.same(cycles(graph), []);
  t.end();
});

t.test('the cycle check finds a circle when there is one', (t) => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  t.same(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
  t.end();
});
