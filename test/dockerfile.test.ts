import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../common/paths.js';

// No Docker engine runs here: check what reading can check, and that every file and
// command the Dockerfile relies on exists (the commands themselves are tested elsewhere).
const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => /^[A-Z]+\s/.test(l));

t.test('multi-stage on Node 24, runtime as a non-root user with a /healthz HEALTHCHECK', (t) => {
  const froms = instructions.filter((l) => l.startsWith('FROM '));
  t.equal(froms.length, 2);
  t.ok(
    froms.every((l) => /^FROM node:24-bookworm(-slim)?\b/.test(l)),
    froms.join('; '),
  );
  const runtime = instructions.slice(instructions.indexOf(froms[1] as string));
  const user = runtime.find((l) => l.startsWith('USER '));
  t.ok(user && !/\broot\b/.test(user), `runs as ${user}`);
  t.match(
    runtime.find((l) => l.startsWith('HEALTHCHECK ')),
    /\/healthz/,
  );
  t.match(
    runtime.find((l) => l.startsWith('CMD ')),
    /serve/,
  );
  t.end();
});

t.test('every file the build copies from the repository exists', (t) => {
  const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
  t.ok(copies.length > 5);
  for (const line of copies) {
    const parts = line.split(/\s+/).slice(1);
    for (const source of parts.slice(0, -1)) {
      t.ok(existsSync(path.join(projectRoot, source)), `${source} exists`);
    }
  }
  t.end();
});

t.test('the image installs its worker and Debian packages with the tested commands', (t) => {
  t.match(dockerfile, /bin\/diemcau worker build/);
  t.match(dockerfile, /bin\/diemcau worker apt-packages runtime/);
  t.match(dockerfile, /MEDIASOUP_WORKER_BIN=\/usr\/local\/lib\/diemcau\/mediasoup-worker/);
  t.end();
});

t.test('every folder the production build compiles is copied into the build stage', (t) => {
  const prod = JSON.parse(readFileSync(path.join(projectRoot, 'tsconfig.prod.json'), 'utf8')) as {
    include: string[];
  };
  const copied = new Set(
    instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1)),
  );
  for (const folder of prod.include) {
    t.ok(copied.has(folder), `COPY ${folder}`);
  }
  t.end();
});
