/**
 * Fuzz: more than 100,000 random and mutated frames thrown at one live server over several concurrent connections
 * on 127.0.0.1. The server must not crash, must close only the connections that sent bad frames, must hold no
 * pending state afterwards (no growth), and must still serve a well-formed request. Seeded, so a failure can be
 * replayed with FUZZ_SEED=<n>.
 */
import { expect } from 'chai';
import net from 'net';
import { Registry } from 'prom-client';
import pino from 'pino';
import { METRIC } from '../../src/metrics';
import { RemotingClient } from '../../src/remoting/client';
import { RequestCode } from '../../src/remoting/codes';
import { RemotingCommand } from '../../src/remoting/command';
import { encodeCommand } from '../../src/remoting/protocol/frame';
import { RemotingServer } from '../../src/remoting/server';

const ECHO = 1001;
const TARGET_FRAMES = 100_000;
const CONNECTIONS = 4;
const BATCH = 250;
const TIME_LIMIT_MS = 25_000;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += this.rnd() < 0.9 ? String.fromCharCode(32 + this.int(95)) : this.pick(['é', '✓', '中', '\n', '"', '\\']);
    return s;
  }

  /** A well-formed command: known and unknown codes, both encodings, oneway and stray responses. */
  command(): RemotingCommand {
    const code = this.pick([ECHO, ECHO, ECHO, 105, 310, this.int(32768)]);
    const ext: Record<string, string | number | boolean> = {};
    for (let i = this.int(5); i > 0; i--) ext[this.text(1 + this.int(8))] = this.pick([this.text(this.int(20)), this.int(1e9), this.rnd() < 0.5]);
    const body = this.rnd() < 0.3 ? undefined : this.bytes(this.rnd() < 0.02 ? 4096 : this.int(200));
    const c = RemotingCommand.createRequest(code, ext, body);
    c.opaque = this.int(0x7fffffff);
    c.serializeType = this.rnd() < 0.5 ? 'JSON' : 'ROCKETMQ';
    if (this.rnd() < 0.2) c.remark = this.text(this.int(30));
    const r = this.rnd();
    if (r < 0.15) c.markOneway();
    else if (r < 0.2) c.markResponse();
    return c;
  }

  /** A mutation that keeps the framing intact: body bytes, or the fixed fields of a binary header. */
  softMutation(): Buffer {
    const c = this.command();
    const f = encodeCommand(c);
    const headerLen = f.readUInt32BE(4) & 0xffffff;
    const bodyStart = 8 + headerLen;
    for (let i = 1 + this.int(3); i > 0; i--) {
      if (c.serializeType === 'ROCKETMQ' && this.rnd() < 0.5) f[8 + this.int(13)] = this.int(256);
      else if (f.length > bodyStart) f[bodyStart + this.int(f.length - bodyStart)] = this.int(256);
    }
    return f;
  }

  /** Something likely fatal to the connection: garbage, flipped framing, bad lengths, truncation. */
  hardMutation(): Buffer {
    const f = encodeCommand(this.command());
    switch (this.int(8)) {
      case 0:
        return this.bytes(1 + this.int(64));
      case 1: {
        for (let i = 1 + this.int(4); i > 0; i--) f[this.int(f.length)] = this.int(256);
        return f;
      }
      case 2:
        return f.subarray(0, 1 + this.int(f.length - 1));
      case 3:
        f.writeInt32BE(this.pick([0x7fffffff, -1, 16 * 1024 * 1024, 0, 1, 3]), 0);
        return f;
      case 4:
        f.writeUInt32BE(((this.int(2) << 24) | (f.length + this.int(1000))) >>> 0, 4);
        return f;
      case 5:
        f[4] = 2 + this.int(254);
        return f;
      case 6: {
        const junk = Buffer.from(this.text(1 + this.int(40)));
        const head = Buffer.allocUnsafe(8);
        head.writeInt32BE(4 + junk.length, 0);
        head.writeUInt32BE(junk.length, 4);
        return Buffer.concat([head, junk]);
      }
      default: {
        // Binary header with an inner length running past the header.
        const b = RemotingCommand.createRequest(ECHO, { k: 'v' });
        b.serializeType = 'ROCKETMQ';
        const g = encodeCommand(b);
        g.writeInt32BE(this.pick([0x7fffffff, -5, 1000]), 8 + 13);
        return g;
      }
    }
  }
}

/** Sends one batch over a fresh connection, reading and discarding answers; resolves when the socket closes. */
function sendBatch(port: number, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) s.write(c);
      s.end();
    });
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

describe('remoting fuzz: random and mutated frames against a live server', function () {
  this.timeout(40_000);

  it(`survives ${TARGET_FRAMES.toLocaleString('en-US')}+ frames and still serves`, async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);
    const registry = new Registry();
    const server = new RemotingServer({
      listenPort: 0,
      host: '127.0.0.1',
      name: 'fuzz',
      logger: pino({ level: 'silent' }),
      registry,
      partialFrameTimeoutMs: 2000,
      frameMaxLength: 1024 * 1024,
    });
    server.registerProcessor(ECHO, (req) => RemotingCommand.createResponse(0, undefined, req.extFields, req.body));
    const port = await server.start();
    const client = new RemotingClient();
    try {
      let sent = 0;
      let batches = 0;
      const deadline = Date.now() + TIME_LIMIT_MS;
      const worker = async (w: number): Promise<void> => {
        const g = new Gen(prng(seed + w * 7919));
        while (sent < TARGET_FRAMES && Date.now() < deadline) {
          const frames: Buffer[] = [];
          for (let i = 0; i < BATCH; i++) frames.push(g.int(2) === 0 ? encodeCommand(g.command()) : g.softMutation());
          // Most batches end with one frame that is likely fatal to the connection.
          if (g.int(10) < 7) frames.push(g.hardMutation());
          sent += frames.length;
          batches++;
          // Written in random slices so frames straddle TCP writes.
          const all = Buffer.concat(frames);
          const chunks: Buffer[] = [];
          for (let p = 0; p < all.length; ) {
            const n = 1 + g.int(4096);
            chunks.push(all.subarray(p, p + n));
            p += n;
          }
          await sendBatch(port, chunks);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));

      const requests = (await registry.getSingleMetric(METRIC.remotingRequests)!.get()).values;
      const bad = (await registry.getSingleMetric(METRIC.remotingBadFrames)!.get()).values;
      const served = requests.reduce((a, v) => a + v.value, 0);
      const rejected = bad.reduce((a, v) => a + v.value, 0);
      const summary = `seed=${seed} sent=${sent} batches=${batches} served=${served} rejected=${rejected}`;
      console.log(`      ${summary}`);
      expect(sent, summary).to.be.at.least(TARGET_FRAMES);
      // Nearly every frame reached a processor (the rest were stray responses or frames after a fatal one).
      expect(served, summary).to.be.at.least(TARGET_FRAMES * 0.8);
      expect(rejected, summary).to.be.greaterThan(0);
      // Random codes collapse into one `other` label: at most one label per known request code, plus `other`.
      const known = new Set(Object.values(RequestCode)).size;
      expect(requests.length, summary).to.be.at.most(known + 1);
      expect(requests.filter((v) => v.labels.code === 'other').length, summary).to.equal(1);
      // No pending state is left behind once every fuzz connection is gone.
      const deadlineClose = Date.now() + 3000;
      while (server.connectionCount > 0 && Date.now() < deadlineClose) await new Promise((r) => setTimeout(r, 10));
      expect(server.pendingState(), summary).to.deep.equal({ connections: 0, pendingRequests: 0, bufferedBytes: 0, writeBufferedBytes: 0 });

      const res = await client.invokeSync(`127.0.0.1:${port}`, RemotingCommand.createRequest(ECHO, { after: 'fuzz' }, Buffer.from('ok')));
      expect(res.code).to.equal(0);
      expect(res.extFields).to.deep.equal({ after: 'fuzz' });
      expect(res.body?.toString()).to.equal('ok');
    } finally {
      await client.close();
      await server.close();
    }
  });
});
