import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { projectRoot } from '../common/paths.js';
import { CLIENT_ERROR_CODES, SERVER_ERROR_CODES } from '../protocol/errors.js';
import { METHODS } from '../src/signaling/methods.js';

// The contract a maintainer reads (docs/contract.md) names every method and error code
// the code has: a new one that is not written down fails here.
const contract = readFileSync(path.join(projectRoot, 'docs', 'contract.md'), 'utf8');

t.test('every signaling method is in the contract', (t) => {
  for (const method of Object.keys(METHODS)) {
    t.match(contract, new RegExp('`' + method + '`'), method);
  }
  t.end();
});

t.test('every error code is in the contract', (t) => {
  for (const code of [...SERVER_ERROR_CODES, ...CLIENT_ERROR_CODES]) {
    t.match(contract, new RegExp('`' + code + '`'), code);
  }
  t.end();
});

t.test('the README links to the contract and the architecture', (t) => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  t.match(readme, /docs\/contract\.md/);
  t.match(readme, /docs\/architecture\.md/);
  t.end();
});
