'use strict';
// Enforces the import arrows of DESIGN.md:
//   cli -> gateway -> {client, coord};  client -> remoting -> common;  cli -> broker -> {store, remoting, client};
//   cli -> namesrv -> remoting;  every folder may use common and metrics;  only gateway imports gen/.
/** Folders each src/ folder may import besides itself. */
const allowed = {
  common: [],
  metrics: ['common'],
  remoting: ['common', 'metrics'],
  store: ['common', 'metrics'],
  namesrv: ['remoting', 'common', 'metrics'],
  client: ['remoting', 'common', 'metrics'],
  coord: ['common', 'metrics'],
  broker: ['store', 'remoting', 'client', 'common', 'metrics'],
  gateway: ['client', 'coord', 'common', 'metrics'],
  console: ['client', 'coord', 'common', 'metrics'],
  cli: ['common', 'metrics', 'remoting', 'store', 'namesrv', 'client', 'coord', 'broker', 'gateway', 'console'],
};
const rules = Object.entries(allowed).map(([from, to]) => ({
  name: `${from}-imports`,
  comment: `src/${from} may import only ${[from, ...to].join(', ')}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: `^src/(${[from, ...to].join('|')})/` },
}));
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'only-gateway-imports-gen', severity: 'error', from: { pathNot: '^(src/gateway|gen)/' }, to: { path: '^gen/' } },
    { name: 'src-not-into-test', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
    ...rules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
