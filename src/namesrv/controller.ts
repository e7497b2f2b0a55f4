/**
 * NamesrvController: the name server's composition root (ref §7). It wires the route tables, the KV store, the
 * remoting server with its processors, the broker-expiry timer and the channel events, with start()/shutdown().
 */
import fs from 'fs';
import path from 'path';
import type pino from 'pino';
import { MqError, acquireDirLock } from '../common';
import type { DirLock } from '../common';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics';
import { RemotingServer, authHook, clusterAuthCheck } from '../remoting';
import type { Channel } from '../remoting';
import { KVConfigManager } from './kv-config-manager';
import type { NamesrvOptions } from './options';
import { registerNamesrvProcessors } from './processor';
import { RouteInfoManager } from './route-info-manager';
import type { BrokerRemoval } from './route-info-manager';

export interface NamesrvDeps {
  logger: pino.Logger;
  registry?: Registry;
  /** Current time in ms (tests inject a fake clock). */
  clock?: () => number;
}

export class NamesrvController {
  readonly routes = new RouteInfoManager();
  readonly kv = new KVConfigManager();
  readonly server: RemotingServer;
  private readonly log: pino.Logger;
  private readonly clock: () => number;
  private scanTimer: NodeJS.Timeout | undefined;
  private started = false;
  private kvLock?: DirLock;
  /** Serialises KV file writes. */
  private kvWrites: Promise<void> = Promise.resolve();

  constructor(
    readonly options: NamesrvOptions,
    deps: NamesrvDeps,
  ) {
    this.log = deps.logger;
    this.clock = deps.clock ?? Date.now;
    this.server = new RemotingServer({
      listenPort: options.listenPort,
      host: options.bindAddress,
      frameMaxLength: options.frameMaxLength,
      idleTimeoutMs: options.serverChannelMaxIdleTimeSeconds * 1000,
      partialFrameTimeoutMs: options.partialFrameTimeoutMs,
      name: 'namesrv',
      logger: this.log,
      registry: deps.registry,
    });
    registerNamesrvProcessors(this.server, {
      routes: this.routes,
      kv: this.kv,
      clock: this.clock,
      logger: this.log,
      orderMessageEnable: options.orderMessageEnable,
      brokerChannelExpiredTime: options.brokerChannelExpiredTime,
      onKvChanged: () => this.persistKv(),
    });
    // clusterSecret: registration and admin codes must carry the cluster signature (checked before dispatch).
    if (options.clusterSecret !== '') this.server.setRequestHook(authHook(clusterAuthCheck(options.clusterSecret)));
    // A broker whose connection closes (or fails, or idles out, which also closes it) is dropped at once (ref §7.2).
    this.server.on('close', (ch: Channel) => this.logRemovals(this.routes.onChannelDestroy(ch, ch.remoteAddress)));
    if (deps.registry) this.registerMetrics(deps.registry);
  }

  /** Starts serving; resolves with the bound remoting port. */
  async start(): Promise<number> {
    if (this.options.kvConfigPath !== '') await this.loadKv(this.options.kvConfigPath);
    let port: number;
    try {
      port = await this.server.start();
    } catch (err) {
      this.kvLock?.release();
      this.kvLock = undefined;
      throw err;
    }
    this.started = true;
    // Java starts the scan 5 s after start; a plain interval is close enough and simpler to test.
    this.scanTimer = setInterval(() => this.scanNotActiveBroker(), this.options.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
    return port;
  }

  /** Drops brokers silent for longer than brokerChannelExpiredTime and closes their connections (ref §7.2). */
  scanNotActiveBroker(): BrokerRemoval[] {
    const removed = this.routes.scanNotActiveBroker(this.clock(), this.options.brokerChannelExpiredTime);
    for (const r of removed) {
      const ch = r.channel as Channel | undefined;
      if (ch && typeof ch.close === 'function') ch.close();
    }
    this.logRemovals(removed);
    return removed;
  }

  /** Stops the expiry timer and the server, closing every connection; writes and unlocks the KV file. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    try {
      if (this.started) await this.server.close();
    } finally {
      this.started = false;
      await this.kvWrites;
      this.kvLock?.release();
      this.kvLock = undefined;
    }
  }

  /**
   * Takes the exclusive lock of the KV file (`<file>.lock` beside it: one name server per file) and loads it. A
   * file that exists but is not JSON stops the start: it is never overwritten silently.
   */
  private async loadKv(file: string): Promise<void> {
    const abs = path.resolve(file);
    this.kvLock = await acquireDirLock(path.dirname(abs), 'namesrv kvConfigPath', `${path.basename(abs)}.lock`);
    let text: string | undefined;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.kvLock.release();
        throw new MqError('INVALID_OPTION', `namesrv: cannot read kvConfigPath ${abs}: ${(err as Error).message}`);
      }
    }
    if (text === undefined || text.trim() === '') return;
    try {
      this.kv.restore(JSON.parse(text));
    } catch (err) {
      this.kvLock.release();
      throw new MqError('INVALID_OPTION', `namesrv: kvConfigPath ${abs} is not kvConfig.json JSON: ${(err as Error).message}`);
    }
  }

  /** Writes the KV table atomically (tmp, fsync, rename); writes are serialised, failures logged. */
  private persistKv(): void {
    const file = this.options.kvConfigPath;
    if (file === '') return;
    const abs = path.resolve(file);
    const text = JSON.stringify(this.kv.snapshot(), null, 2);
    this.kvWrites = this.kvWrites.then(async () => {
      const tmp = `${abs}.tmp`;
      try {
        const fh = await fs.promises.open(tmp, 'w');
        try {
          await fh.writeFile(text, 'utf8');
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.promises.rename(tmp, abs);
      } catch (err) {
        this.log.error({ err, kvConfigPath: abs }, 'writing the KV config failed');
      }
    });
  }

  /** True while serving (for /healthz). */
  get running(): boolean {
    return this.started;
  }

  private logRemovals(removed: BrokerRemoval[]): void {
    for (const r of removed) this.log.warn({ brokerAddr: r.brokerAddr, reason: r.reason }, 'broker removed');
  }

  /** Gauges read from the tables at scrape time, so they cost nothing between scrapes. */
  private registerMetrics(registry: Registry): void {
    const routes = this.routes;
    new Gauge({
      name: METRIC.namesrvBrokersLive,
      help: 'Broker addresses currently registered and live',
      registers: [registry],
      collect() {
        this.set(routes.liveBrokerCount());
      },
    });
    new Gauge({
      name: METRIC.namesrvTopics,
      help: 'Topics with at least one route',
      registers: [registry],
      collect() {
        this.set(routes.topicCount());
      },
    });
  }
}
