'use strict';
// `npm run bench [name ...]`: runs the compiled benchmarks in dist/bench/<name> one after another (all when no name
// is given). Each benchmark prints its own figures next to a peer or a physical limit measured in the same run.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dir = path.join(root, 'dist', 'bench');
if (!fs.existsSync(dir)) {
  console.error('bench: dist/bench is missing; run `npm run build` first');
  process.exit(2);
}
const all = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'index.js'))).sort();
const wanted = process.argv.slice(2);
if (wanted.includes('--help')) {
  console.log(`usage: npm run bench [-- ${all.join('|')} ...]`);
  process.exit(0);
}
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`bench: unknown benchmark(s) ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, [path.join(dir, name, 'index.js')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
