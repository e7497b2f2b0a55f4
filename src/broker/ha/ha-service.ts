/**
 * Master side of replication (ref §8.2, §8.3): accepts slaves on haListenPort, streams the commit log to each, tracks
 * their acknowledged offsets, and answers SYNC_MASTER puts through the store's `replicationWaiter` hook.
 *
 * Integration (broker): construct with the store, `await start()` for a master role (it installs
 * `store.replicationWaiter`), call `notifyNewData()` after puts if convenient (otherwise new bytes are seen within
 * haTransferPollInterval), and `await shutdown()` before the store shuts down.
 */
import net from 'net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MqError } from '../../common';
import { AckWaiters } from './ack-waiters';
import { haHandshakeMaster } from './ha-auth';
import { HAConnection } from './ha-connection';
import { attachHaMetrics } from './ha-metrics';
import type { SlaveLagSample } from './ha-metrics';
import { resolveHaOptions } from './ha-options';
import type { HaOptions } from './ha-options';
import type { HAStore, ReplicationResult } from './ha-store';
import { LagClock } from './lag-clock';

/** What the master knows about one connected slave. */
export interface SlaveInfo {
  /** ip:port of the slave's HA socket. */
  address: string;
  /** First reported offset: where this connection's transfer started from (-1 before the first report). */
  requestOffset: number;
  /** Latest acknowledged commit-log offset (-1 before the first report). */
  ackedOffset: number;
  /** Next offset the master will send. */
  nextTransferOffset: number;
  lagBytes: number;
  lagSeconds: number;
  connectedAt: number;
}

export interface HAServiceDeps {
  logger: Logger;
  registry?: Registry;
}

export class HAService {
  readonly options: HaOptions;
  private readonly logger: Logger;
  private readonly connections = new Set<HAConnection>();
  private readonly waiters = new AckWaiters();
  private readonly lagClock = new LagClock();
  private server: net.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private detachMetrics: () => void = () => undefined;
  private boundPort = -1;
  private arrivalHooked = false;
  /** Highest offset acknowledged by any slave (RocketMQ's push2SlaveMaxOffset). */
  private pushedMax = 0;

  /**
   * @param store the master's store (HA hooks of src/store).
   * @param options HA options (see HA_OPTION_SPEC); unknown keys are rejected.
   */
  constructor(
    private readonly store: HAStore,
    options: Record<string, unknown> | HaOptions,
    private readonly deps: HAServiceDeps,
  ) {
    this.options = resolveHaOptions({ ...options });
    this.logger = deps.logger.child({ component: 'ha-master' });
  }

  /** The bound HA port (after start), -1 before. */
  get port(): number {
    return this.boundPort;
  }

  /** Highest offset acknowledged by any connected or past slave. */
  get push2SlaveMaxOffset(): number {
    return this.pushedMax;
  }

  /** The store hook, bound: `store.replicationWaiter = service.waitForReplication`. */
  readonly waitForReplication = (endOffset: number): Promise<ReplicationResult> => this.waitFor(endOffset);

  /**
   * The store's retention floor: the lowest offset a connected slave still needs. With no slave connected nothing is
   * held back (a slave gone for longer than fileReservedTime must be re-seeded, as in RocketMQ).
   */
  readonly retentionFloor = (): number => {
    let floor = Number.MAX_SAFE_INTEGER;
    for (const c of this.connections) {
      // The slave has everything below its ack; a slave that has not reported yet holds nothing back.
      if (c.ackedOffset >= 0) floor = Math.min(floor, c.ackedOffset);
    }
    return floor;
  };

  /** Listens on haListenPort, installs the replication waiter and the housekeeping timer; resolves the bound port. */
  async start(): Promise<number> {
    if (this.server) return this.boundPort;
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(
          new MqError(
            'UNAVAILABLE',
            `HA listener cannot bind ${this.options.haBindAddress}:${this.options.haListenPort}: ${err.message} ` +
              '(change haListenPort)',
            { cause: err },
          ),
        );
      server.once('error', onError);
      server.listen(this.options.haListenPort, this.options.haBindAddress, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'HA listener error'));
    this.server = server;
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.store.replicationWaiter = this.waitForReplication;
    // Stream new records as soon as they are dispatched rather than at the next poll. The store has no way to remove
    // a listener, so register once per service; after shutdown it finds no connection to wake.
    if (!this.arrivalHooked) {
      this.arrivalHooked = true;
      this.store.onArrival?.(() => this.notifyNewData());
    }
    this.store.replicatedOffset = this.retentionFloor;
    // 100 ms also sets the resolution of the lag-in-seconds metric.
    const tick = Math.max(10, Math.min(100, Math.floor(this.options.haHousekeepingInterval / 4)));
    this.timer = setInterval(() => this.housekeeping(), tick);
    this.timer.unref();
    this.detachMetrics = attachHaMetrics(this.deps.registry, {
      slaveLag: () => this.slaveLag(),
      connections: () => [...this.connections].map((c) => ({ role: 'master' as const, peer: c.address, connected: 1 as const })),
    });
    this.logger.info({ haPort: this.boundPort }, 'HA service listening');
    return this.boundPort;
  }

  /** Closes the listener and every slave connection; pending SYNC_MASTER waits end with FLUSH_SLAVE_TIMEOUT. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.store.replicationWaiter === this.waitForReplication) this.store.replicationWaiter = undefined;
    if (this.store.replicatedOffset === this.retentionFloor) this.store.replicatedOffset = Number.MAX_SAFE_INTEGER;
    this.detachMetrics();
    for (const c of [...this.connections]) c.close('master shutting down');
    this.waiters.failAll();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** New bytes were appended: wakes every transfer loop at once (optional; otherwise polled). */
  notifyNewData(): void {
    for (const c of this.connections) c.notify();
  }

  /** Connected slaves and their progress. */
  slaves(): SlaveInfo[] {
    const now = Date.now();
    const max = this.store.getMaxPhyOffset();
    return [...this.connections].map((c) => ({
      address: c.address,
      requestOffset: c.requestOffset,
      ackedOffset: c.ackedOffset,
      nextTransferOffset: c.nextTransferOffset,
      lagBytes: c.ackedOffset < 0 ? max : Math.max(0, max - c.ackedOffset),
      lagSeconds: this.lagClock.lagSeconds(Math.max(0, c.ackedOffset), now),
      connectedAt: c.connectedAt,
    }));
  }

  /**
   * RocketMQ's isSlaveOK: a slave is connected and the best ack is within haSlaveFallbehindMax of `masterPutEnd`.
   */
  isSlaveOK(masterPutEnd: number): boolean {
    let best = -1;
    for (const c of this.connections) best = Math.max(best, c.ackedOffset);
    return best >= 0 && masterPutEnd - best < this.options.haSlaveFallbehindMax;
  }

  private async waitFor(endOffset: number): Promise<ReplicationResult> {
    this.lagClock.record(endOffset, Date.now());
    if (!this.isSlaveOK(endOffset)) return 'SLAVE_NOT_AVAILABLE';
    this.notifyNewData();
    const acked = await this.waiters.wait(endOffset, this.pushedMax, this.options.slaveTimeout);
    return acked ? 'PUT_OK' : 'FLUSH_SLAVE_TIMEOUT';
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const secret = this.options.clusterSecret;
    if (secret === '') {
      this.attach(socket);
      return;
    }
    // clusterSecret: the peer proves it first; until then it gets no byte of the commit log and is not a slave.
    socket.on('error', () => undefined);
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    haHandshakeMaster(socket, secret, Math.min(10_000, this.options.haHousekeepingInterval)).then(
      () => {
        if (!this.server || socket.destroyed) {
          socket.destroy();
          return;
        }
        this.attach(socket);
        socket.resume();
      },
      (err: Error) => {
        this.logger.warn({ peer, err: err.message }, 'HA peer failed authentication; disconnected');
        socket.destroy();
      },
    );
  }

  private attach(socket: net.Socket): void {
    const conn = new HAConnection(socket, this.store, this.options, this.logger, {
      onAck: (_c, offset) => {
        if (offset > this.pushedMax) this.pushedMax = offset;
        this.waiters.ack(offset);
      },
      onClose: (c) => {
        this.connections.delete(c);
      },
    });
    this.connections.add(conn);
    this.logger.info({ slave: conn.address }, 'HA slave connected');
  }

  /** Closes silent connections (ref §8.2 housekeeping) and samples the commit-log end for the lag clock. */
  private housekeeping(): void {
    const now = Date.now();
    this.lagClock.record(this.store.getMaxPhyOffset(), now);
    let minAcked = Number.MAX_SAFE_INTEGER;
    for (const c of [...this.connections]) {
      if (now - c.lastReadAt > this.options.haHousekeepingInterval) {
        this.logger.warn(
          { slave: c.address, silentMs: now - c.lastReadAt, limit: this.options.haHousekeepingInterval },
          'HA slave silent past haHousekeepingInterval; closing',
        );
        c.close('housekeeping');
        continue;
      }
      minAcked = Math.min(minAcked, Math.max(0, c.ackedOffset));
    }
    if (minAcked !== Number.MAX_SAFE_INTEGER) this.lagClock.prune(minAcked);
  }

  private slaveLag(): SlaveLagSample[] {
    return this.slaves().map((s) => ({ slave: s.address, lagBytes: s.lagBytes, lagSeconds: s.lagSeconds }));
  }
}
