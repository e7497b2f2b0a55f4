'use strict';
// One mocha configuration for every tier. Tests are compiled by `npm run build` into dist/.
module.exports = {
  require: ['dist/test/setup.js'],
  timeout: 20000,
  slow: 2000,
  reporter: 'spec',
  exit: true,
};
