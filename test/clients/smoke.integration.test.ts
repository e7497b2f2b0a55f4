/**
 * Cross-language smoke tests with the real interpreters against a real `mq dev` (name server, master/slave broker
 * set, gateway): Python (Debian's /usr/bin/python3 + python3-thrift), PHP (php-cli + php-thrift) and Go
 * (golang-go + golang-thrift-dev, built in GOPATH mode) each run their smoke program, which sends a batch with tags,
 * keys, properties and a 5 MiB body and checks every message comes back byte-identical (H3's smoke program of each client folder).
 * A language is skipped, with a message, only when its toolchain is not installed.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import os from 'os';
import path from 'path';
import { ROOT, spawnMq, stopAll, tempDir, uniqueName } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

const CLIENTS = path.join(ROOT, 'clients');

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('clients: cross-language smoke tests against mq dev', function () {
  this.timeout(180000);
  let dev: MqProcess;
  let addr: string;
  const data = tempDir('mq-smoke-');

  before(async () => {
    dev = await spawnMq(['dev', '--basePort=0', `--dataDir=${data.dir}`, '--httpPort=-1'], { readyTimeoutMs: 30000 });
    addr = `127.0.0.1:${dev.fields.gatewayPort}`;
  });

  after(async () => {
    await dev?.stop();
    await stopAll();
    data.cleanup();
  });

  it('python: a batch with a 5 MiB body comes back byte-identical', function () {
    if (!has('/usr/bin/python3', ['-c', 'import thrift'])) {
      console.log('    /usr/bin/python3 with python3-thrift is not installed; skipping');
      this.skip();
    }
    const r = run('/usr/bin/python3', [path.join(CLIENTS, 'python', 'smoke.py'), addr, uniqueName('PySmoke'), 'py_group'], {
      PYTHONDONTWRITEBYTECODE: '1',
    });
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.match(/SMOKE OK 4/);
  });

  it('php: a batch with a 5 MiB body comes back byte-identical', function () {
    if (!has('php', ['-r', 'exit(is_dir("/usr/lib/php/Transport") || is_dir("/usr/share/php/Thrift") ? 0 : 1);'])) {
      console.log('    php-cli with php-thrift is not installed; skipping');
      this.skip();
    }
    const r = run('php', [path.join(CLIENTS, 'php', 'smoke.php'), addr, uniqueName('PhpSmoke'), 'php_group']);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.match(/SMOKE OK/);
  });

  it('go: a batch with a 5 MiB body comes back byte-identical', function () {
    if (!has('go', ['version']) || !has('test', ['-d', '/usr/share/gocode/src/github.com/apache/thrift'])) {
      console.log('    golang-go with golang-thrift-dev is not installed; skipping');
      this.skip();
    }
    const out = tempDir('mq-go-');
    try {
      const b = run('bash', [path.join(CLIENTS, 'go', 'build.sh'), out.dir], { GOCACHE: process.env.GOCACHE ?? path.join(os.tmpdir(), 'mq-go-cache') });
      expect(b.status, b.out).to.equal(0);
      const r = run(path.join(out.dir, 'smoke'), [addr, uniqueName('GoSmoke'), 'go_group']);
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.match(/SMOKE OK/);
    } finally {
      out.cleanup();
    }
  });
});
