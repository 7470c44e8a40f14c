import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../src/paths.js';

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
