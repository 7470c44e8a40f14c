// Reads the TAP tap saved for each test file (.tap/test-results) and prints
// "N passed, N failed" over every assertion of the run: the line CI reads.
// A file that crashed before finishing counts as a failure even if no assertion failed.
// Exits 1 when anything failed or nothing ran at all.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Parser } from 'tap-parser';

function tapFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tapFiles(full) : name.endsWith('.tap') ? [full] : [];
  });
}

/** Counts leaf assertions at every depth; a subtest's own closing line is not one. */
function parse(file) {
  return new Promise((resolve) => {
    const counts = { pass: 0, fail: 0, skip: 0, ok: true };
    const attach = (parser) => {
      parser.on('child', attach);
      parser.on('assert', (result) => {
        if (result.closingTestPoint) {
          return;
        }
        if (result.skip || result.todo) {
          counts.skip += 1;
        } else if (result.ok) {
          counts.pass += 1;
        } else {
          counts.fail += 1;
        }
      });
    };
    const root = new Parser((final) => resolve({ ...counts, ok: final.ok }));
    attach(root);
    root.end(readFileSync(file, 'utf8'));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const broken = [];
for (const file of tapFiles(process.argv[2])) {
  const results = await parse(file);
  passed += results.pass;
  skipped += results.skip;
  failed += results.fail;
  // A file that crashed or ran no test at all is not a pass.
  if ((!results.ok || results.pass + results.fail === 0) && results.fail === 0) {
    failed += 1;
    broken.push(file);
  }
}
for (const file of broken) {
  console.log(`incomplete: ${file}`);
}
// tap failed a file that reported no failed assertion (it crashed before its first test,
// say): that is a failure too, and the line CI reads must say so.
const tapStatus = Number(process.argv[3] ?? 0);
if (tapStatus !== 0 && failed === 0) {
  console.log(`tap exited ${tapStatus}: a test file failed outside its assertions (see above)`);
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
