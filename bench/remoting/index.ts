/**
 * Remoting round-trip benchmark: pipelined request/response round trips per second through RemotingServer and
 * RemotingClient, on 1 and on 8 connections, next to a raw loopback TCP echo with the same message sizes and the
 * same pipelining depth, measured in the same run; prints the ratio. The servers run in a child process so that
 * client and server get their own event loops, for both contenders alike. Bounded: about 30 s in total.
 *
 * Run: `node dist/bench/remoting` (after `npx tsc -p .`). Env: BENCH_SECONDS (per measurement, default 2.5).
 */
import { fork } from 'child_process';
import net from 'net';
import type { AddressInfo } from 'net';
import pino from 'pino';
import { RemotingClient } from '../../src/remoting/client';
import { RemotingCommand } from '../../src/remoting/command';
import { encodeCommand } from '../../src/remoting/protocol/frame';
import { RemotingServer } from '../../src/remoting/server';
import { handleBenchArgs } from '../usage';

const ECHO = 1001;
const DEPTH = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2.5);
const WARMUP_MS = 400;
const BODY_SIZES = [128, 4096];
const CONNECTIONS = [1, 8];

/** The child: a remoting echo server and a raw TCP echo server; reports both ports over IPC. */
async function serve(): Promise<void> {
  const server = new RemotingServer({ listenPort: 0, host: '127.0.0.1', name: 'bench', logger: pino({ level: 'silent' }) });
  server.registerProcessor(ECHO, (req) => RemotingCommand.createResponse(0, undefined, req.extFields, req.body));
  const remotingPort = await server.start();
  const raw = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (c) => s.write(c));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
  process.send?.({ remotingPort, rawPort: (raw.address() as AddressInfo).port });
  process.on('disconnect', () => process.exit(0));
}

function request(body: Buffer): RemotingCommand {
  return RemotingCommand.createRequest(ECHO, { topic: 'BenchTopic', queueId: 1, bornTimestamp: 1_700_000_000_000 }, body);
}

/** Keeps DEPTH calls in flight on each of `conns` clients for `ms`; returns completed round trips per second. */
async function runRemoting(port: number, conns: number, body: Buffer, ms: number): Promise<number> {
  const clients = Array.from({ length: conns }, () => new RemotingClient({ defaultTimeoutMs: 10_000 }));
  const addr = `127.0.0.1:${port}`;
  await Promise.all(clients.map((c) => c.invokeSync(addr, request(body))));
  let done = 0;
  let counting = false;
  let stop = false;
  const loop = async (c: RemotingClient): Promise<void> => {
    while (!stop) {
      await c.invokeSync(addr, request(body));
      if (counting) done++;
    }
  };
  const loops = clients.flatMap((c) => Array.from({ length: DEPTH }, () => loop(c)));
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const n = done;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.close()));
  return n / secs;
}

/** Raw TCP echo: `conns` sockets, DEPTH messages of `size` bytes in flight on each; returns round trips per second. */
async function runRaw(port: number, conns: number, size: number, ms: number): Promise<number> {
  const msg = Buffer.alloc(size, 0x61);
  let done = 0;
  let counting = false;
  let stop = false;
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port }, () => {
            s.setNoDelay(true);
            for (let i = 0; i < DEPTH; i++) s.write(msg);
            resolve();
          });
          let pending = 0;
          s.on('data', (c: Buffer) => {
            pending += c.length;
            // Each whole echoed message completes one round trip and sends the next one.
            while (pending >= size) {
              pending -= size;
              if (counting) done++;
              if (!stop) s.write(msg);
            }
          });
          s.on('error', () => undefined);
          sockets.push(s);
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const n = done;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  stop = true;
  for (const s of sockets) s.destroy();
  return n / secs;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(12);
}

async function main(): Promise<void> {
  const child = fork(__filename, ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ remotingPort: number; rawPort: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { remotingPort: number; rawPort: number }));
    child.once('exit', (code) => reject(new Error(`bench server exited early (${code})`)));
  });
  try {
    console.log(`remoting round trips, pipelined depth ${DEPTH} per connection, ${SECONDS}s per figure, servers in a child process`);
    console.log('body B  frame B  conns   remoting rt/s  raw TCP echo rt/s   ratio');
    for (const bodySize of BODY_SIZES) {
      const body = Buffer.alloc(bodySize, 0x62);
      // The raw echo moves messages of exactly the remoting request frame's size.
      const frameSize = encodeCommand(request(body)).length;
      for (const conns of CONNECTIONS) {
        const rem = await runRemoting(ports.remotingPort, conns, body, SECONDS * 1000);
        const raw = await runRaw(ports.rawPort, conns, frameSize, SECONDS * 1000);
        console.log(
          `${String(bodySize).padStart(6)}  ${String(frameSize).padStart(7)}  ${String(conns).padStart(5)}  ${fmt(rem)}    ${fmt(raw)}    ${(rem / raw).toFixed(2)}`,
        );
      }
    }
  } finally {
    child.disconnect();
    child.kill();
  }
}

if (process.argv.includes('--server')) {
  void serve();
} else {
  handleBenchArgs(`usage: node dist/bench/remoting [--help]        (or: npm run bench -- remoting)

Pipelined request/response round trips per second through RemotingServer and RemotingClient on 1 and 8
connections, next to a raw loopback TCP echo with the same sizes and depth (server in a child process). About 30 s.

environment:
  BENCH_SECONDS   per measurement (default 2.5)`);
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
