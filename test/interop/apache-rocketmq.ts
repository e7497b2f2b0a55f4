/**
 * Apache RocketMQ's own name server and broker (from the Maven Central jars that scripts/ci/suite-interop.sh puts in
 * a lib directory) as real JVM processes for the interop tests: free ports, a temp directory per process
 * (-Duser.home, so store, logs and kvConfig stay inside), small heaps, stopped by pid.
 *
 * The lib directory comes from MQ_INTEROP_RMQ_LIB (default: the suite's cache under the system temp dir).
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

/** The lib directory of the 4.x servers (MQ_INTEROP_RMQ_LIB) or the 5.x ones (MQ_INTEROP_RMQ5_LIB). */
export function apacheLib(line: 4 | 5 = 4): string {
  const env = line === 4 ? process.env.MQ_INTEROP_RMQ_LIB : process.env.MQ_INTEROP_RMQ5_LIB;
  return env ?? path.join(os.tmpdir(), 'mq-interop-cache', `rocketmq-${line}`, 'lib');
}

/** Whether the Apache jars are there (the suite script fetches them; without it the tests cannot run). */
export function apacheAvailable(line: 4 | 5 = 4): boolean {
  const lib = apacheLib(line);
  return fs.existsSync(lib) && fs.readdirSync(lib).some((f) => f.startsWith('rocketmq-broker-'));
}

/** JVM flags for this shared 2-core machine and JDK 17 (serial GC, no TLS certificate, the JDK 17 add-opens). */
export const JVM_COMMON = [
  '-XX:+UseSerialGC',
  '-Dtls.server.mode=disabled',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
];
/** Tests only: C1 alone starts a JVM faster; benchmarks leave the JIT alone. */
export const JVM_QUICK_START = ['-XX:TieredStopAtLevel=1'];
export const NAMESRV_HEAP = ['-Xms64m', '-Xmx128m'];
export const BROKER_HEAP = ['-Xms256m', '-Xmx512m', '-XX:MaxDirectMemorySize=512m'];

const LOGBACK = `<configuration>
  <appender name="E" class="ch.qos.logback.core.ConsoleAppender"><target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %p %c{1} %m%n</pattern></encoder></appender>
  <root level="WARN"><appender-ref ref="E"/></root>
</configuration>
`;

export interface JavaProcess {
  child: ChildProcess;
  dir: string;
  port: number;
  addr: string;
  output(): string;
  stop(): Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** A port P with P-2 (the broker's fast port) and P+1 (its HA port) free too. */
export async function freeBrokerPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 30000);
    if ((await canListen(p - 2)) && (await canListen(p)) && (await canListen(p + 1))) return p;
  }
  throw new Error('no free port triple found');
}

function writeHome(dir: string): string {
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(home, 'conf'), { recursive: true });
  for (const f of ['logback_namesrv.xml', 'logback_broker.xml', 'logback_tools.xml']) fs.writeFileSync(path.join(home, 'conf', f), LOGBACK);
  return home;
}

function startJava(
  lib: string,
  dir: string,
  heap: string[],
  mainClass: string,
  args: string[],
  readyRe: RegExp,
  port: number,
  timeoutMs = 120000,
): Promise<JavaProcess> {
  const home = writeHome(dir);
  const child = spawn(
    'java',
    [...heap, ...JVM_COMMON, ...(process.env.MQ_INTEROP_FULL_JIT === '1' ? [] : JVM_QUICK_START), `-Duser.home=${dir}`, `-Drocketmq.home.dir=${home}`, '-cp', `${lib}/*`, mainClass, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROCKETMQ_HOME: home } },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: JavaProcess = {
    child,
    dir,
    port,
    addr: `127.0.0.1:${port}`,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${mainClass} not ready in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (readyRe.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${mainClass} exited (${code ?? sig}) before ready:\n${out}`));
    });
  });
}

/** Apache's NamesrvStartup (4.x, or 5.x with line 5) on a free port. */
export async function startApacheNamesrv(dir: string, line: 4 | 5 = 4): Promise<JavaProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freeBrokerPort();
  const conf = path.join(dir, 'namesrv.properties');
  // 4.x has no bindAddress (it listens on every interface); 5.x binds where told
  fs.writeFileSync(conf, `listenPort=${port}\n${line === 5 ? 'bindAddress=127.0.0.1\n' : ''}`);
  return startJava(apacheLib(line), dir, NAMESRV_HEAP, 'org.apache.rocketmq.namesrv.NamesrvStartup', ['-c', conf], /The Name Server boot success/, port);
}

export interface ApacheBrokerOptions {
  namesrvAddr: string;
  brokerName?: string;
  clusterName?: string;
  flushDiskType?: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  /** Extra broker.conf lines (key=value). */
  extra?: Record<string, string | number | boolean>;
  /** JVM heap flags instead of BROKER_HEAP. */
  heap?: string[];
  /** Apache line: 4 (default, 4.9.7) or 5 (5.3.3). */
  line?: 4 | 5;
}

/** Apache's BrokerStartup (a master) on a free port triple. */
export async function startApacheBroker(dir: string, o: ApacheBrokerOptions): Promise<JavaProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freeBrokerPort();
  const conf: Record<string, string | number | boolean> = {
    brokerClusterName: o.clusterName ?? 'ApacheCluster',
    brokerName: o.brokerName ?? 'apache-a',
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: o.flushDiskType ?? 'ASYNC_FLUSH',
    namesrvAddr: o.namesrvAddr,
    brokerIP1: '127.0.0.1',
    listenPort: port,
    storePathRootDir: path.join(dir, 'store'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    ...(o.line === 5 ? { bindAddress: '127.0.0.1', timerWheelEnable: false } : {}),
    ...o.extra,
  };
  const file = path.join(dir, 'broker.conf');
  fs.writeFileSync(file, Object.entries(conf).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return startJava(apacheLib(o.line ?? 4), dir, o.heap ?? BROKER_HEAP, 'org.apache.rocketmq.broker.BrokerStartup', ['-c', file], /The broker\[.*boot success/, port);
}
