/**
 * Broken client wrappers fail CI: byte-compile the Python client, lint and load the PHP client, and vet + build the
 * Go client, smoke and example programs (GOPATH mode, into a temp dir). Each language is skipped, with a message, only
 * when its toolchain is not installed.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import type { SpawnSyncOptions } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ROOT, tempDir } from '../helpers/proc';

const CLIENTS = path.join(ROOT, 'clients');

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, ...opts });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function filesUnder(dir: string, ext: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext) && !f.split(path.sep).includes('__pycache__'))
    .map((f) => path.join(dir, f));
}

describe('clients: the wrappers compile', function () {
  this.timeout(90000);

  it('python: byte-compiles, and the package imports with Debian python3-thrift', function () {
    if (!has('/usr/bin/python3', ['--version'])) {
      console.log('    /usr/bin/python3 is not installed; skipping');
      this.skip();
    }
    const tmp = tempDir('mq-pyc-');
    try {
      // The byte code goes to a temp dir, never into the repository.
      const env = { ...process.env, PYTHONPYCACHEPREFIX: tmp.dir, PYTHONDONTWRITEBYTECODE: '1' };
      const py = filesUnder(path.join(CLIENTS, 'python'), '.py');
      expect(py.length).to.be.greaterThan(4);
      const c = run('/usr/bin/python3', ['-m', 'py_compile', ...py], { env });
      expect(c.status, c.out).to.equal(0);
      if (has('/usr/bin/python3', ['-c', 'import thrift'])) {
        const i = run('/usr/bin/python3', ['-c', 'import mqgateway; mqgateway.Client("127.0.0.1", 1)'], {
          cwd: path.join(CLIENTS, 'python'),
          env,
        });
        expect(i.status, i.out).to.equal(0);
      } else {
        console.log('    python3-thrift is not installed; skipped the import check');
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('php: every file passes php -l, and the client loads through autoload.php', function () {
    if (!has('php', ['--version'])) {
      console.log('    php-cli is not installed; skipping');
      this.skip();
    }
    const php = filesUnder(path.join(CLIENTS, 'php'), '.php');
    expect(php.length).to.be.greaterThan(4);
    const bad = php.map((f) => ({ f, r: run('php', ['-l', f]) })).filter(({ r }) => r.status !== 0);
    expect(bad.map(({ f, r }) => `${f}: ${r.out}`)).to.deep.equal([]);
    if (fs.existsSync('/usr/lib/php/Transport/TSocket.php')) {
      // Constructing the client resolves every class it uses (MqGateway\Api\*, Thrift\*) without connecting.
      const l = run('php', ['-r', `require ${JSON.stringify(path.join(CLIENTS, 'php', 'autoload.php'))}; new MqGateway\\Client('127.0.0.1', 1); echo "loaded";`]);
      expect(l.out).to.equal('loaded');
    } else {
      console.log('    php-thrift is not installed; skipped the load check');
    }
  });

  it('go: the client, smoke and example vet and build in GOPATH mode', function () {
    if (!has('go', ['version']) || !fs.existsSync('/usr/share/gocode/src/github.com/apache/thrift/lib/go/thrift')) {
      console.log('    golang-go or golang-thrift-dev is not installed; skipping');
      this.skip();
    }
    const tmp = tempDir('mq-go-');
    try {
      // A build cache that outlives the test keeps reruns fast; HOME may be unset in CI.
      const env = { ...process.env, GOCACHE: process.env.GOCACHE ?? path.join(os.tmpdir(), 'mq-go-build-cache') };
      const r = run('bash', [path.join(CLIENTS, 'go', 'build.sh'), tmp.dir], { env });
      expect(r.status, r.out).to.equal(0);
      expect(fs.existsSync(path.join(tmp.dir, 'smoke'))).to.equal(true);
    } finally {
      tmp.cleanup();
    }
  });
});
