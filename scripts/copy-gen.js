'use strict';
// Copies the thrift-generated Node code (gen/) next to the compiled sources, so that dist/src/gateway can
// require('../../gen/...') exactly as src/gateway does.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const from = path.join(root, 'gen');
const to = path.join(root, 'dist', 'gen');
if (fs.existsSync(from)) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
