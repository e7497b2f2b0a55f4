/**
 * bench/clients: the three client libraries against one real `mq dev`, each next to the gateway's own Node.js Thrift
 * stubs doing the same work in this process (the thinnest client there is, so the ratio is each library's overhead).
 *
 * For every body size (with its batch size) and language, a driver program (bench/clients/bench.py, bench.php,
 * clients/go/cmd/bench) sends for BENCH_CLIENTS_SECONDS with the library's Producer, then drains what it sent with the
 * library's consumer loop (at-least-once, batch handler, acks with the next get). Prints msg/s and MB/s for send and
 * for the consumer loop.
 *
 * Environment: BENCH_CLIENTS_SECONDS (send phase per row, default 3); BENCH_CLIENTS_SIZES (size:batch list, default
 * 500:32,2048:32,1048576:1,5242880:1); BENCH_CLIENTS_LANGS (subset of node,python,php,go); BENCH_PYTHON (default
 * /usr/bin/python3 with Debian's python3-thrift, or a venv's python with the package installed).
 */
import { spawnSync } from 'child_process';
import crypto from 'crypto';
import path from 'path';
import thrift from 'thrift';
import { MessageGatewayService, T } from '../../src/gateway';
import { ROOT, spawnMq, tempDir, uniqueName } from '../../test/helpers/proc';
import { handleBenchArgs } from '../usage';

const SECONDS = Number(process.env.BENCH_CLIENTS_SECONDS ?? 3);
const SIZES = (process.env.BENCH_CLIENTS_SIZES ?? '500:32,2048:32,1048576:1,5242880:1').split(',').map((s) => s.split(':').map(Number) as [number, number]);
const LANGS = (process.env.BENCH_CLIENTS_LANGS ?? 'node,python,php,go').split(',').map((s) => s.trim());
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const MB = 1e6;

interface Figures {
  sent: number;
  sendSeconds: number;
  consumed: number;
  consumeSeconds: number;
}

interface RawClient {
  send(req: T.SendRequest): Promise<T.SendResult[]>;
  get(req: T.GetRequest): Promise<T.GetResult>;
}

/** The same work with the generated Node stubs: send batches for SECONDS, then get + ack until all came back. */
async function node(port: number, topic: string, size: number, batch: number): Promise<Figures> {
  const conn = thrift.createConnection('127.0.0.1', port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1 });
  conn.on('error', (e: Error) => console.error('thrift connection error', e.message));
  const c = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<RawClient>, conn) as unknown as RawClient;
  try {
    const body = crypto.randomBytes(size);
    const messages = Array.from({ length: batch }, () => new T.Message({ topic, body }));
    let sent = 0;
    let start = process.hrtime.bigint();
    const secs = (): number => Number(process.hrtime.bigint() - start) / 1e9;
    while (secs() < SECONDS) sent += (await c.send(new T.SendRequest({ messages }))).filter((r) => !r.error).length;
    const sendSeconds = secs();
    start = process.hrtime.bigint();
    let consumed = 0;
    let ack: string[] = [];
    const max = Math.max(1, Math.min(1024, Math.floor((16 * 1024 * 1024) / size / 2)));
    while (consumed < sent && secs() < SECONDS * 10) {
      const r = await c.get(new T.GetRequest({ topic, consumerGroup: 'bench', maxMessages: max, waitMs: 1000, invisibleMs: 60000, ack }));
      ack = r.messages.map((m) => m.receipt as string);
      consumed += r.messages.length;
    }
    if (ack.length) await c.get(new T.GetRequest({ topic, consumerGroup: 'bench', maxMessages: 0, ack }));
    return { sent, sendSeconds, consumed, consumeSeconds: secs() };
  } finally {
    conn.end();
  }
}

/** Creates the topic (auto-create on first send) with one small message, outside every measurement. */
async function warmUp(port: number, topic: string): Promise<void> {
  const conn = thrift.createConnection('127.0.0.1', port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1 });
  conn.on('error', (e: Error) => console.error('thrift connection error', e.message));
  const c = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<RawClient>, conn) as unknown as RawClient;
  try {
    await c.send(new T.SendRequest({ messages: [new T.Message({ topic, body: Buffer.from('warm-up') })] }));
  } finally {
    conn.end();
  }
}

function driver(cmd: string, args: string[], cwd = ROOT): Figures | string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: SECONDS * 30 * 1000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Figures;
  } catch {
    return `failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-2).join(' ')}`;
  }
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

async function main(): Promise<void> {
  handleBenchArgs(`usage: node dist/bench/clients [--help]        (or: npm run bench -- clients)

The Python, PHP and Go client libraries against one real mq dev, each next to the gateway's Node.js Thrift stubs
doing the same work: send msg/s and MB/s with each library's Producer, then its consumer loop draining what it sent.

environment:
  BENCH_CLIENTS_SECONDS  send phase per row (default 3)
  BENCH_CLIENTS_SIZES    size:batch list (default 500:32,2048:32,1048576:1,5242880:1)
  BENCH_CLIENTS_LANGS    subset of node,python,php,go (default all)
  BENCH_PYTHON           the python with the client library's dependencies (default /usr/bin/python3)`);
  const data = tempDir('mq-bench-clients-');
  const bin = tempDir('mq-bench-clients-bin-');
  const dev = await spawnMq(['dev', '--basePort=0', `--dataDir=${data.dir}`, '--httpPort=-1'], { readyTimeoutMs: 60000 });
  const port = Number(dev.fields.gatewayPort);
  const addr = `127.0.0.1:${port}`;
  try {
    const goBin = path.join(bin.dir, 'bench');
    let goProblem = '';
    if (LANGS.includes('go')) {
      const b = spawnSync('go', ['build', '-o', goBin, './cmd/bench'], { cwd: path.join(ROOT, 'clients', 'go'), encoding: 'utf8', timeout: 600000 });
      if (b.status !== 0) goProblem = `go build failed: ${(b.stderr || String(b.error)).trim().split('\n').pop()}`;
    }
    console.log(`bench/clients: mq dev at ${addr}; send ${SECONDS} s per row, then the consumer loop drains it; MB = 10^6 bytes`);
    console.log(`${'body'.padEnd(9)} ${'batch'.padStart(5)} ${'client'.padEnd(7)} ${'send msg/s'.padStart(11)} ${'send MB/s'.padStart(10)} ${'loop msg/s'.padStart(11)} ${'loop MB/s'.padStart(10)}  vs node (send / loop)`);
    for (const [size, batch] of SIZES) {
      let ref: Figures | undefined;
      for (const lang of LANGS) {
        const topic = uniqueName(`BenchClients${lang}`);
        await warmUp(port, topic); // the topic exists before the clock starts (the drain stops once it has `sent`)
        let f: Figures | string;
        if (lang === 'node') f = await node(port, topic, size, batch);
        else if (lang === 'python') f = driver(PYTHON, [path.join(ROOT, 'bench', 'clients', 'bench.py'), addr, topic, String(size), String(batch), String(SECONDS)]);
        else if (lang === 'php') f = driver('php', [path.join(ROOT, 'bench', 'clients', 'bench.php'), addr, topic, String(size), String(batch), String(SECONDS)]);
        else if (lang === 'go') f = goProblem || driver(goBin, [addr, topic, String(size), String(batch), String(SECONDS)]);
        else f = 'unknown language';
        const label = `${size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`;
        if (typeof f === 'string') {
          console.log(`${label.padEnd(9)} ${String(batch).padStart(5)} ${lang.padEnd(7)} ${f}`);
          continue;
        }
        const s = f.sent / f.sendSeconds;
        const l = f.consumed / f.consumeSeconds;
        if (lang === 'node') ref = f;
        const vs = ref && lang !== 'node' ? `x${(s / (ref.sent / ref.sendSeconds)).toFixed(2)} / x${(l / (ref.consumed / ref.consumeSeconds)).toFixed(2)}` : '';
        const lost = f.consumed < f.sent ? `  (consumed only ${f.consumed} of ${f.sent})` : '';
        console.log(`${label.padEnd(9)} ${String(batch).padStart(5)} ${lang.padEnd(7)} ${fmt(s).padStart(11)} ${fmt((s * size) / MB).padStart(10)} ${fmt(l).padStart(11)} ${fmt((l * size) / MB).padStart(10)}  ${vs}${lost}`);
      }
    }
  } finally {
    await dev.stop();
    data.cleanup();
    bin.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
