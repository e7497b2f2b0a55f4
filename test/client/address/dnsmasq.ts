/**
 * Test helper: a real dnsmasq on 127.0.0.1:<free port>, serving names from a hosts file that the test can rewrite
 * (then SIGHUP makes dnsmasq read it again). The child is owned by pid and killed by pid.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import dgram from 'dgram';
import { promises as dnsPromises } from 'dns';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { sleep } from '../../../src/common';

export interface Dnsmasq {
  port: number;
  server: string;
  hostsFile: string;
  /** Rewrites the hosts file (`ip name` lines) and makes dnsmasq read it again. */
  setHosts(lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/**
 * Starts dnsmasq with `hosts` as its only hosts file and `srv` as `--srv-host` values
 * (`_service._tcp.name,target,port`). Resolves once it answers for `probeName`.
 */
export async function startDnsmasq(hosts: string[], srv: string[], probeName: string): Promise<Dnsmasq> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-dnsmasq-'));
  const hostsFile = path.join(dir, 'hosts');
  fs.writeFileSync(hostsFile, hosts.join('\n') + '\n');
  const port = await freeUdpPort();
  const args = [
    '--no-daemon',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${hostsFile}`,
    '--pid-file=',
    '--local-ttl=0',
    '--log-facility=-',
    ...srv.map((s) => `--srv-host=${s}`),
  ];
  const child: ChildProcess = spawn('dnsmasq', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const resolver = new dnsPromises.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  // Bounded readiness wait: 50 tries of ~100 ms.
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    try {
      await resolver.resolve4(probeName);
      const server = `127.0.0.1:${port}`;
      return {
        port,
        server,
        hostsFile,
        stop,
        setHosts: async (lines: string[]) => {
          fs.writeFileSync(hostsFile, lines.join('\n') + '\n');
          if (child.pid !== undefined) process.kill(child.pid, 'SIGHUP');
          // dnsmasq reloads asynchronously; the callers poll for the new answer anyway.
          await sleep(50);
        },
      };
    } catch {
      await sleep(100);
    }
  }
  await stop();
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}; output:\n${out}`);
}
