/**
 * Starts a real `redis-server` for tests: on a free 127.0.0.1 port (redis has no `--port 0`, so the port is found by
 * binding a throwaway listener to port 0 first), with no persistence, in a temp dir. Stops it by pid; `stop` and
 * `restart` let tests check "Redis went away -> UNAVAILABLE, then it recovers".
 */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import net from 'net';
import { tempDir } from './proc';
import { freePort } from '../../src/common';

/** A TCP port that was free a moment ago (re-exported for tests). */
export { freePort };

export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:<port>/0 */
  readonly url: string;
  /** The pid of the running server, or undefined while stopped. */
  pid(): number | undefined;
  /** Kills the server (SIGKILL by default, as a crash would) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (with empty data: there is no persistence) and waits for PING. */
  restart(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  dispose(): Promise<void>;
}

const live = new Set<TestRedis>();
// Never leave a redis-server behind, even when a test run aborts.
process.on('exit', () => {
  for (const r of live) {
    const pid = r.pid();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

/** True when redis-server is installed (tests skip with a message otherwise). */
export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}


/** Resolves once the server answers PING with +PONG; bounded by `timeoutMs`. */
async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < until && i < 500; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let buf = '';
      s.setTimeout(500, () => s.destroy());
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n')) {
          s.destroy();
          resolve(buf.startsWith('+PONG'));
        }
      });
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms`);
}

/** Starts a redis-server for the current test file; call dispose() in an after() hook. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const tmp = tempDir('mq-redis-');
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp.dir, '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child = c;
    try {
      await waitForPing(port, 10000);
    } catch (err) {
      c.kill('SIGKILL');
      throw new Error(`${(err as Error).message}; output:\n${output}`);
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };

  const r: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    pid: () => child?.pid,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      live.delete(r);
      tmp.cleanup();
    },
  };
  live.add(r);
  await launch();
  return r;
}
