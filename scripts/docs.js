'use strict';
// `npm run docs`: rewrites README.md's configuration reference from the option specs (needs a build).
const fs = require('fs');
const path = require('path');
const { updateReadme } = require('../dist/src/cli/options-doc');
const file = path.join(__dirname, '..', 'README.md');
const before = fs.readFileSync(file, 'utf8');
const after = updateReadme(before);
if (after !== before) fs.writeFileSync(file, after);
console.log(after === before ? 'docs: README.md is up to date' : 'docs: README.md configuration reference rewritten');
