/**
 * CI fails when the committed Thrift stubs are stale: regenerate into a temp dir with scripts/gen.sh and compare
 * every generated folder, file by file, with the one in the repository.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ROOT, tempDir } from '../helpers/proc';

/** The folders scripts/gen.sh owns, relative to the repository root. */
const GENERATED = ['gen', 'clients/python/mqgateway/api', 'clients/php/src/Api', 'clients/go/api'];

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

describe('gen: committed Thrift stubs are fresh', function () {
  this.timeout(30000);

  it('scripts/gen.sh reproduces gen/ and clients/*/api byte for byte', function () {
    if (spawnSync('thrift', ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.log('    the thrift compiler is not installed (Debian: thrift-compiler); skipping the freshness check');
      this.skip();
    }
    const tmp = tempDir('mq-gen-');
    try {
      const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'gen.sh'), tmp.dir], { encoding: 'utf8' });
      expect(r.status, `gen.sh failed:\n${r.stdout}${r.stderr}`).to.equal(0);
      const problems: string[] = [];
      for (const rel of GENERATED) {
        const fresh = path.join(tmp.dir, rel);
        const committed = path.join(ROOT, rel);
        const a = listFiles(fresh);
        const b = listFiles(committed);
        for (const f of a.filter((x) => !b.includes(x))) problems.push(`${rel}/${f} is missing from the repository`);
        for (const f of b.filter((x) => !a.includes(x))) problems.push(`${rel}/${f} is no longer generated`);
        for (const f of a.filter((x) => b.includes(x))) {
          if (!fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(committed, f)))) {
            problems.push(`${rel}/${f} differs`);
          }
        }
        expect(a.length, `gen.sh wrote nothing into ${rel}`).to.be.greaterThan(0);
      }
      expect(problems, `stale generated code; run \`npm run gen\` and commit:\n  ${problems.join('\n  ')}`).to.deep.equal([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('every generated file carries a do-not-edit header', function () {
    const missing: string[] = [];
    for (const rel of GENERATED) {
      for (const f of listFiles(path.join(ROOT, rel))) {
        const head = fs.readFileSync(path.join(ROOT, rel, f), 'utf8').split('\n').slice(0, 12).join('\n');
        if (!head.includes('DO NOT EDIT')) missing.push(`${rel}/${f}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });
});
