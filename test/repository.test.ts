import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../common/paths.js';

// A core dump (11 MB, possibly with key material) was once committed at the root: the
// repository holds sources, never build output, binaries or dumps.
const MAX_TRACKED_BYTES = 2 * 1024 * 1024;

function tracked(): string[] {
  const out = spawnSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.split('\0').filter(Boolean) : [];
}

t.test('no tracked file is over 2 MB, and none is a core dump', (t) => {
  const files = tracked();
  t.ok(files.length > 50, 'run from a git checkout (git ls-files lists the sources)');
  const large = files.filter((f) => {
    try {
      return statSync(path.join(projectRoot, f)).size > MAX_TRACKED_BYTES;
    } catch {
      return false; // deleted in the working tree
    }
  });
  t.same(large, [], 'files over 2 MB');
  t.same(
    files.filter((f) => /(^|\/)(core|core\.\d+|vgcore\.\d+)$/.test(f)),
    [],
    'core dumps',
  );
  t.end();
});

t.test('.gitignore keeps core dumps out', (t) => {
  const ignored = spawnSync(
    'git',
    ['check-ignore', '--no-index', 'core', 'core.1234', 'workers/core'],
    {
      cwd: projectRoot,
      encoding: 'utf8',
    },
  );
  t.same(ignored.stdout.trim().split('\n'), ['core', 'core.1234', 'workers/core']);
  t.end();
});
