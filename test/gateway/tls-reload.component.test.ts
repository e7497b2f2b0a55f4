/**
 * TLS material is replaced without a restart: after reloadTls, new connections are served with the new certificate
 * (existing ones keep theirs); with a CA, a client without a certificate is refused and the subject CN of a verified
 * client certificate reaches the handler as the call's peerSubject.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import pino from 'pino';
import tls from 'tls';
import { T, ThriftServer } from '../../src/gateway';
import type { CallContext, GatewayHandler } from '../../src/gateway';
import { tempDir } from '../helpers/proc';
import { decodeReply, encodeCall } from './raw-thrift';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function selfSigned(dir: string, name: string): { cert: Buffer; key: Buffer } {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
  return { cert: fs.readFileSync(path.join(dir, `${name}.pem`)), key: fs.readFileSync(path.join(dir, `${name}.key`)) };
}

/** Connects with TLS and resolves the server certificate's CN (and the socket). */
function peerCn(port: number, opts: tls.ConnectionOptions = {}): Promise<{ cn: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...opts }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      resolve({ cn: Array.isArray(cn) ? cn[0] : (cn ?? ''), socket: s });
    });
    s.on('error', reject);
  });
}

describe('gateway/ThriftServer TLS reload and client certificates', function () {
  this.timeout(30000);
  const tmp = tempDir('mq-tls-reload-');
  let server: ThriftServer | undefined;
  before(function () {
    if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('openssl is required (MQ_REQUIRE_TOOLS=1)');
      this.skip();
    }
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(() => tmp.cleanup());

  const subjects: Array<string | undefined> = [];
  const handler: GatewayHandler = {
    send: async (req: T.SendRequest, call?: CallContext) => {
      subjects.push(call?.peerSubject);
      return req.messages.map(() => new T.SendResult({ msgId: 'm' }));
    },
    get: async () => new T.GetResult({ messages: [] }),
  };
  const base = { port: 0, host: '127.0.0.1', maxFrameBytes: 1 << 20, maxInflightBytes: 8 << 20, maxInflightBytesPerConnection: 4 << 20, busyRetryAfterMs: 100 };

  it('serves new connections with the reloaded certificate', async () => {
    const one = selfSigned(tmp.dir, 'one');
    const two = selfSigned(tmp.dir, 'two');
    server = new ThriftServer({ ...base, tls: one }, handler, { logger });
    const port = await server.start();
    const a = await peerCn(port);
    expect(a.cn).to.equal('one');
    server.reloadTls(two);
    const b = await peerCn(port);
    expect(b.cn).to.equal('two');
    a.socket.destroy();
    b.socket.destroy();
  });

  it('with a CA: refuses clients without a certificate and hands the subject CN to the handler', async () => {
    const srv = selfSigned(tmp.dir, 'srv');
    openssl(tmp.dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ca']);
    openssl(tmp.dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'cl.key', '-out', 'cl.csr', '-subj', '/CN=pipeline-7']);
    openssl(tmp.dir, ['x509', '-req', '-in', 'cl.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cl.pem', '-days', '2']);
    server = new ThriftServer({ ...base, tls: { ...srv, ca: fs.readFileSync(path.join(tmp.dir, 'ca.pem')) } }, handler, { logger });
    const port = await server.start();
    const refused = await new Promise<string>((resolve) => {
      const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        s.write(encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.from('x') })] })));
      });
      s.on('data', () => resolve('answered'));
      s.on('error', () => resolve('refused'));
      s.on('close', () => resolve('refused'));
    });
    expect(refused).to.equal('refused');
    const { socket } = await peerCn(port, { cert: fs.readFileSync(path.join(tmp.dir, 'cl.pem')), key: fs.readFileSync(path.join(tmp.dir, 'cl.key')) });
    const reply = await new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      });
      socket.write(encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.from('x') })] })));
    });
    expect(decodeReply(reply).success).to.equal(true);
    expect(subjects).to.deep.equal(['pipeline-7']);
    socket.destroy();
  });
});
