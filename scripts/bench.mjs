// npm run bench -- <name>: builds, then runs bench/<name>.ts. Human-readable lines
// first; the last line is one JSON object of figures (docs/contract.md, "Benchmarks").
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const name = process.argv[2];
const file = `dist/bench/${name}.js`;
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) {
  process.exit(build.status ?? 1);
}
if (!name || !existsSync(file)) {
  console.error(
    `usage: npm run bench -- <name>   (join, session-cost, recorder, bandwidth, bandwidth-browsers, speaker-detection)`,
  );
  process.exit(2);
}
const run = spawnSync(process.execPath, [file, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
