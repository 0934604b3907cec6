// Runs every compiled test file with node:test and ends with the plain line CI reads:
// "N passed, N failed". Usage: node scripts/run-tests.mjs [substring filter]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = 'dist/test';
const filter = process.argv[2] ?? '';
function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js') && p.includes(filter)) out.push(p);
  }
  return out;
}
const files = collect(root);
let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files, concurrency: 2 });
stream.on('test:pass', (t) => {
  if (t.details?.type === 'suite') return;
  // A skipped test is not a passed one: counted apart, and named in a line of its own.
  if (t.skip !== undefined && t.skip !== false) skipped++;
  else passed++;
});
stream.on('test:fail', (t) => {
  if (t.details?.type !== 'suite') failed++;
});
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });
// The closing line goes out after the reporter has flushed, so it is the last line printed.
report.on('end', () => {
  if (skipped > 0) console.log(`${skipped} skipped (see the reasons above)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
});
