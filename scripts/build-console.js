'use strict';
// Builds the console's front end (src/console/web: index.html, app.js, style.css) into dist/src/console/web, where
// the console server serves it from. No bundler and no dependency: the files are shipped as written, with comments
// and leading indentation stripped from the CSS. Prints the total size.
const { Buffer } = require('buffer');
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const from = path.join(root, 'src', 'console', 'web');
const to = path.join(root, 'dist', 'src', 'console', 'web');
fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
let total = 0;
for (const name of fs.readdirSync(from).sort()) {
  if (!/\.(html|js|css|svg)$/.test(name)) continue;
  let text = fs.readFileSync(path.join(from, name), 'utf8');
  if (name.endsWith('.css')) text = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s+/gm, '');
  fs.writeFileSync(path.join(to, name), text);
  total += Buffer.byteLength(text);
}
const gz = require('zlib');
const all = fs.readdirSync(to).map((n) => fs.readFileSync(path.join(to, n)));
const gzipped = all.reduce((s, b) => s + gz.gzipSync(b, { level: 9 }).length, 0);
if (process.env.MQ_QUIET_BUILD !== '1') console.log(`console front end: ${all.length} files, ${total} bytes (${gzipped} gzipped) in dist/src/console/web`);
