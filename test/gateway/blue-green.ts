/**
 * Helpers of the blue/green tests: a real dnsmasq on 127.0.0.1 serving the name servers' SRV record (restarted on
 * the same port to flip it), gateways that resolve their name servers through it, and their `/status` JSON.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { freePort, sleep } from '../../src/common';
import { spawnMq, tempDir } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';

export const NS_DOMAIN = 'ns.bluegreen.test';

/** True when dnsmasq is installed. */
export function dnsmasqAvailable(): boolean {
  return ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].some((f) => fs.existsSync(f));
}

/** dnsmasq answering SRV `NS_DOMAIN` → the given name servers; `point()` restarts it with another answer. */
export class DnsServer {
  port = 0;
  private proc: ChildProcess | undefined;
  private readonly dir = tempDir('mq-dnsmasq-');

  async point(nameServers: string[]): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    await this.stop();
    const conf = path.join(this.dir.dir, 'dnsmasq.conf');
    fs.writeFileSync(conf, nameServers.map((a) => `srv-host=${NS_DOMAIN},${a.split(':')[0]},${a.split(':')[1]}`).join('\n') + '\n');
    for (let i = 0; i < 5; i++) {
      const p = spawn(
        fs.existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq',
        ['--no-daemon', '--no-resolv', '--no-hosts', `--conf-file=${conf}`, `--port=${this.port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--pid-file=', '--cache-size=0'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const exited = await Promise.race([new Promise<boolean>((r) => p.once('exit', () => r(true))), sleep(400).then(() => false)]);
      if (!exited) {
        this.proc = p;
        return;
      }
      if (i === 4) throw new Error(`dnsmasq did not start: ${err}`);
      await sleep(300);
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(3000)]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.dir.cleanup();
  }
}

/** Starts `mq gateway` resolving its name servers through `dns`. */
export function startDnsGateway(dns: DnsServer, extra: string[] = []): Promise<MqProcess> {
  return spawnMq(
    [
      'gateway',
      `--namesrvDomain=${NS_DOMAIN}`,
      `--namesrvDnsServer=127.0.0.1:${dns.port}`,
      '--namesrvDnsRecordType=SRV',
      '--namesrvDnsRefreshMs=300',
      '--listenPort=0',
      '--listenHost=127.0.0.1',
      '--httpPort=0',
      '--pollNameServerInterval=500',
      ...extra,
    ],
    { readyTimeoutMs: 30000 },
  );
}

export interface GenerationStatus {
  id: number;
  /** Prefix of the generation's coord queue keys ('' = plain keys). */
  tag: string;
  state: 'active' | 'draining' | 'drained';
  nameServers: string[];
  lastSendAt: string | null;
  drainedAt: string | null;
  noRoutes: boolean;
  groups: Record<string, { backlog: number; retryBacklog: number; delayBacklog: number; drained: boolean }>;
}

export interface GatewayStatus {
  active: number;
  drained: boolean;
  generations: GenerationStatus[];
}

/** GET /status of a gateway. */
export function gatewayStatus(p: MqProcess): Promise<GatewayStatus> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: Number(p.fields.httpPort), path: '/status', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as GatewayStatus);
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}
