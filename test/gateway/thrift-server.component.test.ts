/**
 * The Thrift listener on one real port with a stub handler: 5 MiB bodies both ways; a 20 MiB frame answered with
 * PAYLOAD_TOO_LARGE on a connection that keeps serving; random garbage and undecodable frames close only their
 * connection; the global and per-connection in-flight caps answer BUSY with retryAfterMs; TLS with a self-signed
 * certificate made by openssl.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import crypto from 'crypto';
import net from 'net';
import fs from 'fs';
import path from 'path';
import pino from 'pino';
import thrift from 'thrift';
import { sleep } from '../../src/common';
import { T, ThriftServer, i64 } from '../../src/gateway';
import type { GatewayHandler, ThriftServerOptions } from '../../src/gateway';
import { tempDir } from '../helpers/proc';
import { connect, failure, rawExchange } from './thrift-client';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });
const MiB = 1024 * 1024;

/** Echoes sends as results (after `delayMs`), and returns one message with a body of `getBytes`. */
function stubHandler(opts: { delayMs?: number; getBody?: Buffer } = {}): GatewayHandler & { calls: number } {
  const h = {
    calls: 0,
    async send(req: T.SendRequest): Promise<T.SendResult[]> {
      h.calls++;
      if (opts.delayMs) await sleep(opts.delayMs);
      return req.messages.map((m, i) => new T.SendResult({ msgId: `${m.body.length}`, brokerName: 'b', queueId: i, queueOffset: i64(i) }));
    },
    async get(req: T.GetRequest): Promise<T.GetResult> {
      h.calls++;
      const body = opts.getBody ?? Buffer.from('x');
      return new T.GetResult({ messages: [new T.ReceivedMessage({ msgId: 'm', topic: req.topic, body })], acked: 0 });
    },
  };
  return h;
}

async function serve(handler: GatewayHandler, over: Partial<ThriftServerOptions> = {}): Promise<{ port: number; server: ThriftServer }> {
  const server = new ThriftServer(
    {
      port: 0,
      host: '127.0.0.1',
      maxFrameBytes: 9 * MiB,
      maxInflightBytes: 512 * MiB,
      maxInflightBytesPerConnection: 64 * MiB,
      busyRetryAfterMs: 750,
      ...over,
    },
    handler,
    { logger },
  );
  const port = await server.start();
  return { port, server };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
}

describe('gateway/ThriftServer', function () {
  this.timeout(30000);
  const servers: ThriftServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('carries 5 MiB bodies both ways', async () => {
    const big = pattern(5 * MiB, 7);
    const { port, server } = await serve(stubHandler({ getBody: big }));
    servers.push(server);
    const c = connect(port);
    try {
      const r = await c.send([new T.Message({ topic: 't', body: big })]);
      expect(r[0].msgId).to.equal(String(5 * MiB));
      const g = await c.get({ topic: 't', consumerGroup: 'g' });
      expect(g.messages[0].body.equals(big)).to.equal(true);
      expect(server.inflightBytes()).to.equal(0);
    } finally {
      c.close();
    }
  });

  it('answers a 20 MiB frame with PAYLOAD_TOO_LARGE and keeps serving that connection', async () => {
    const h = stubHandler();
    const { port, server } = await serve(h);
    servers.push(server);
    const c = connect(port);
    try {
      const e = await failure(c.send([new T.Message({ topic: 't', body: Buffer.alloc(20 * MiB, 1) })]));
      expect(e.code).to.equal(T.ErrorCode.PAYLOAD_TOO_LARGE);
      expect(e.message).to.match(/frame limit of 9437184 bytes/);
      expect(h.calls).to.equal(0);
      const r = await c.send([new T.Message({ topic: 't', body: Buffer.from('after') })]);
      expect(r[0].msgId).to.equal('5');
      expect(server.inflightBytes()).to.equal(0);
    } finally {
      c.close();
    }
  });

  it('answers pipelined calls whose frames arrive split at any byte (inside the length word too)', async () => {
    const { port, server } = await serve(stubHandler());
    servers.push(server);
    // Three send calls encoded by the library, framed, back to back.
    const frames = [1, 2, 3].map((seqid) => {
      const parts: Buffer[] = [];
      const p = new thrift.TBinaryProtocol({ write: (b: Buffer) => parts.push(Buffer.from(b)), flush: () => undefined, setCurrSeqId: () => undefined } as unknown as thrift.TTransport);
      p.writeMessageBegin('send', thrift.Thrift.MessageType.CALL, seqid);
      const args = { write: (o: thrift.TProtocol) => {
        o.writeStructBegin('args');
        o.writeFieldBegin('request', thrift.Thrift.Type.STRUCT, 1);
        (new T.SendRequest({ messages: [new T.Message({ topic: 'T', body: pattern(100 * seqid, seqid) })] }) as unknown as { write(x: thrift.TProtocol): void }).write(o);
        o.writeFieldEnd();
        o.writeFieldStop();
        o.writeStructEnd();
      } };
      args.write(p);
      p.writeMessageEnd();
      const payload = Buffer.concat(parts);
      const head = Buffer.alloc(4);
      head.writeInt32BE(payload.length, 0);
      return Buffer.concat([head, payload]);
    });
    const all = Buffer.concat(frames);
    const replies = await new Promise<Buffer>((resolve, reject) => {
      const got: Buffer[] = [];
      const sock = net.connect(port, '127.0.0.1', async () => {
        // Chunks of 1, 2, 3, ... bytes, each in its own write and tick.
        for (let at = 0, n = 1; at < all.length; at += n, n = (n % 7) + 1) {
          sock.write(all.subarray(at, at + n));
          await sleep(0);
        }
      });
      sock.on('data', (d: Buffer) => {
        got.push(d);
        const buf = Buffer.concat(got);
        // Three complete reply frames: done.
        let at = 0;
        let n = 0;
        while (at + 4 <= buf.length && at + 4 + buf.readInt32BE(at) <= buf.length) {
          at += 4 + buf.readInt32BE(at);
          n++;
        }
        if (n === 3) {
          sock.destroy();
          resolve(buf);
        }
      });
      sock.on('error', reject);
    });
    // Each reply names its call's seqid and carries the body length the stub echoes as msgId.
    const seen: Array<{ seqid: number; msgId: string }> = [];
    for (let at = 0; at < replies.length; ) {
      const len = replies.readInt32BE(at);
      const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(replies.subarray(at + 4, at + 4 + len)));
      const m = input.readMessageBegin();
      input.readStructBegin();
      const f = input.readFieldBegin();
      expect(f.fid).to.equal(0);
      input.readListBegin();
      const r = new T.SendResult();
      (r as unknown as { read(x: thrift.TProtocol): void }).read(input);
      seen.push({ seqid: m.rseqid, msgId: r.msgId as string });
      at += 4 + len;
    }
    expect(seen.sort((a, b) => a.seqid - b.seqid)).to.deep.equal([
      { seqid: 1, msgId: '100' },
      { seqid: 2, msgId: '200' },
      { seqid: 3, msgId: '300' },
    ]);
  });

  it('closes connections that send garbage or undecodable frames, and serves others', async () => {
    const { port, server } = await serve(stubHandler(), { partialFrameTimeoutMs: 300 });
    servers.push(server);
    // A frame that never completes is dropped after partialFrameTimeoutMs.
    const stalled = Buffer.alloc(14);
    stalled.writeInt32BE(1000, 0);
    expect((await rawExchange(port, stalled)).closed).to.equal(true);
    const garbage = await rawExchange(port, crypto.randomBytes(256 * 1024));
    expect(garbage.closed).to.equal(true);
    const http = await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(http.closed).to.equal(true);
    // A well-framed payload that is not a Thrift message.
    const frame = Buffer.alloc(4 + 64, 0x41);
    frame.writeInt32BE(64, 0);
    const bad = await rawExchange(port, frame);
    expect(bad.closed).to.equal(true);
    // A truncated struct inside a good frame: header of a send call, then nothing.
    const head = Buffer.alloc(16);
    head.writeUInt32BE(0x80010001, 0);
    head.writeInt32BE(4, 4);
    head.write('send', 8);
    head.writeInt32BE(1, 12);
    const trunc = Buffer.concat([Buffer.from([0, 0, 0, 17]), head, Buffer.from([12])]);
    expect((await rawExchange(port, trunc)).closed).to.equal(true);
    const c = connect(port);
    try {
      expect((await c.send([new T.Message({ topic: 't', body: Buffer.from('ok') })]))[0].msgId).to.equal('2');
    } finally {
      c.close();
    }
    expect(server.inflightBytes()).to.equal(0);
  });

  it('answers BUSY with retryAfterMs over the global and per-connection in-flight caps', async () => {
    const { port, server } = await serve(stubHandler({ delayMs: 300 }), { maxInflightBytes: 5 * MiB, maxInflightBytesPerConnection: 3 * MiB });
    servers.push(server);
    const body = Buffer.alloc(2 * MiB, 3);
    // Global: three connections, 2 MiB each, 5 MiB cap → at least one BUSY, at least one stored.
    const clients = [connect(port), connect(port), connect(port)];
    try {
      const outcomes = await Promise.all(
        clients.map((c) =>
          c.send([new T.Message({ topic: 't', body })]).then(
            () => 'OK',
            (e: T.GatewayError) => `${T.ErrorCode[e.code]}:${e.retryable}:${e.retryAfterMs}`,
          ),
        ),
      );
      expect(outcomes).to.include('OK');
      expect(outcomes).to.include('BUSY:true:750');
      // Per connection: two 2 MiB calls pipelined on one connection with a 3 MiB cap.
      const one = clients[0];
      const pair = await Promise.all(
        [1, 2].map(() =>
          one.send([new T.Message({ topic: 't', body })]).then(
            () => 'OK',
            (e: T.GatewayError) => T.ErrorCode[e.code],
          ),
        ),
      );
      expect(pair.sort()).to.deep.equal(['BUSY', 'OK']);
      expect(server.inflightBytes()).to.equal(0);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('serves TLS with a certificate made by openssl; a plain client gets nothing', async function () {
    if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) {
      console.log('    openssl is not installed; skipping');
      this.skip();
    }
    const tmp = tempDir('mq-tls-');
    try {
      const key = path.join(tmp.dir, 'key.pem');
      const cert = path.join(tmp.dir, 'cert.pem');
      const r = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).to.equal(0);
      const pem = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
      const big = pattern(5 * MiB, 11);
      const { port, server } = await serve(stubHandler({ getBody: big }), { tls: pem });
      servers.push(server);
      const c = connect(port, { tls: { ca: pem.cert } });
      try {
        expect((await c.send([new T.Message({ topic: 't', body: big })]))[0].msgId).to.equal(String(5 * MiB));
        expect((await c.get({ topic: 't', consumerGroup: 'g' })).messages[0].body.equals(big)).to.equal(true);
      } finally {
        c.close();
      }
      // A plain-TCP Thrift frame is not a TLS handshake: the server drops it without answering.
      const frame = Buffer.alloc(20, 0);
      frame.writeInt32BE(16, 0);
      const plain = await rawExchange(port, frame, 3000);
      expect(plain.received.length === 0 || plain.received[0] === 0x15).to.equal(true);
    } finally {
      tmp.cleanup();
    }
  });
});
