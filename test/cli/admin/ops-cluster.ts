/**
 * A real cluster for the operator tests: a name server, broker set A (SYNC_MASTER + SLAVE), broker set B (a master
 * on a fixed port, so that it can be restarted at the same address), each with /metrics on an HTTP port, plus an
 * optional gateway (memory coord, offsets flushed to the brokers every 300 ms). `mq admin` runs as a child process.
 */
import { execFile } from 'child_process';
import { runAdmin } from '../../../src/cli/admin';
import { MQ_BIN, spawnMq, tempDir } from '../../helpers/proc';
import type { MqProcess } from '../../helpers/proc';
import { freePort } from '../../helpers/redis';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mq admin ...` in this process (the command code of bin/mq, real connections to the cluster; a child
 * process per call would cost most of the test's time) and collects its output (never throws).
 */
export async function admin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runAdmin(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), env: { ...process.env, ...env }, now: () => Date.now() });
  return { code, stdout, stderr };
}

/** Runs `./bin/mq admin ...` as a child process (exit code, stdout and stderr as a shell sees them). */
export function adminProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MQ_BIN, 'admin', ...args], { timeout: 60000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `mq admin ... --json`, parsed; fails with the stderr when the command failed. */
export async function adminJson<T = unknown>(args: string[]): Promise<T> {
  const r = await admin([...args, '--json']);
  if (r.code !== 0) throw new Error(`mq admin ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const BROKER_FLAGS = [
  '--httpPort=0',
  `--mappedFileSizeCommitLog=${16 * 1024 * 1024}`,
  '--registerNameServerPeriod=1000',
  '--flushIntervalCommitLog=50',
  '--brokerClusterName=OpsCluster',
];

export interface OpsCluster {
  ns: MqProcess;
  namesrvAddr: string;
  a: MqProcess;
  aSlave: MqProcess;
  b: MqProcess;
  gateway?: MqProcess;
  /** Store directories (stats.log is under <dir>/logs). */
  storeDirs: { a: string; aSlave: string; b: string };
  /** Stops broker B (SIGTERM) and starts it again with the same store and port. */
  restartB(): Promise<void>;
  /** Every process that serves /metrics. */
  metricsProcesses(): MqProcess[];
  stop(): Promise<void>;
}

export async function startOpsCluster(opts: { gateway?: boolean; brokerExtra?: string[] } = {}): Promise<OpsCluster> {
  const dirs = [tempDir('mq-ops-a-'), tempDir('mq-ops-as-'), tempDir('mq-ops-b-')];
  const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=0']);
  const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
  const extra = opts.brokerExtra ?? [];
  const broker = async (name: string, dir: string, role: string, id: number, port = 0): Promise<MqProcess> =>
    spawnMq(
      ['broker', `--brokerName=${name}`, `--brokerRole=${role}`, `--brokerId=${id}`, `--storePathRootDir=${dir}`, `--namesrvAddr=${namesrvAddr}`,
        `--listenPort=${port}`, `--haListenPort=${await freePort()}`, ...BROKER_FLAGS, ...extra],
      { readyTimeoutMs: 30000 },
    );
  const a = await broker('ops-a', dirs[0].dir, 'SYNC_MASTER', 0);
  const aSlave = await broker('ops-a', dirs[1].dir, 'SLAVE', 1);
  const bPort = await freePort();
  let b = await broker('ops-b', dirs[2].dir, 'ASYNC_MASTER', 0, bPort);
  let gateway: MqProcess | undefined;
  if (opts.gateway) {
    gateway = await spawnMq(
      ['gateway', `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=0', '--offsetFlushIntervalMs=300', '--heartbeatBrokerInterval=1000'],
      { readyTimeoutMs: 30000 },
    );
  }
  // Wait (bounded) until the name server lists the three brokers.
  for (let i = 0; i < 100; i++) {
    const r = await admin(['clusterList', '-n', namesrvAddr, '--json']);
    if (r.code === 0 && (JSON.parse(r.stdout) as unknown[]).length === 3) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const c: OpsCluster = {
    ns,
    namesrvAddr,
    a,
    aSlave,
    get b() {
      return b;
    },
    gateway,
    storeDirs: { a: dirs[0].dir, aSlave: dirs[1].dir, b: dirs[2].dir },
    async restartB() {
      await b.stop();
      b = await broker('ops-b', dirs[2].dir, 'ASYNC_MASTER', 0, bPort);
    },
    metricsProcesses: () => [ns, a, aSlave, b, ...(gateway ? [gateway] : [])],
    async stop() {
      await gateway?.stop();
      await Promise.all([a.stop(), aSlave.stop(), b.stop()]);
      await ns.stop();
      for (const d of dirs) d.cleanup();
    },
  };
  return c;
}

/** Polls `fn` until it returns a truthy value (bounded); returns that value or throws the last failure. */
export async function eventually<T>(fn: () => Promise<T>, what: string, timeoutMs = 20000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${what} did not happen in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
