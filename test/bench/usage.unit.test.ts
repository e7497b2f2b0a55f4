import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { expect } from 'chai';

const benchDir = path.join(__dirname, '..', '..', 'bench');
const benches = fs.readdirSync(benchDir).filter((d) => fs.existsSync(path.join(benchDir, d, 'index.js'))).sort();

describe('bench/*: command line', function () {
  this.timeout(60000);

  it('finds the benchmarks', () => {
    expect(benches).to.include.members(['broker', 'gateway', 'peers', 'store']);
  });

  for (const name of benches) {
    it(`${name}: --help prints its usage and starts nothing; an unknown argument is refused with exit 2`, () => {
      const file = path.join(benchDir, name, 'index.js');
      // A benchmark that ignored --help would start its servers and run for minutes: the timeout ends it, status null.
      const help = spawnSync(process.execPath, [file, '--help'], { encoding: 'utf8', timeout: 20000 });
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^usage: node dist/bench/${name}`));
      const bad = spawnSync(process.execPath, [file, '--no-such-option'], { encoding: 'utf8', timeout: 20000 });
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.match(/unknown argument.*--no-such-option/);
    });
  }
});
