/**
 * Replication metrics (METRIC.brokerReplicationLag*, METRIC.brokerSlaveConnected), computed at scrape time from every
 * HA service and client attached to a Registry. Several may share one registry (e.g. `mq dev` runs a master and a
 * slave in one process), so the gauges are created once per registry and read all attached sources.
 *
 * - mq_broker_replication_lag_bytes{slave}   master side: master max offset - slave acked offset
 * - mq_broker_replication_lag_seconds{slave} master side: age of the oldest byte the slave has not acknowledged
 * - mq_broker_slave_connected{role,peer}     role=master: 1 per connected slave (peer = slave address);
 *                                            role=slave: 1 when connected to its master, else 0 (peer = master address)
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../../metrics';

/** A lag sample of one slave, as seen by the master. */
export interface SlaveLagSample {
  slave: string;
  lagBytes: number;
  lagSeconds: number;
}

/** Something that reports replication state at scrape time. */
export interface HaMetricsSource {
  /** Master side: one sample per connected slave. */
  slaveLag?(): SlaveLagSample[];
  /** Connection states: role and peer address, 1 = connected. */
  connections(): Array<{ role: 'master' | 'slave'; peer: string; connected: 0 | 1 }>;
}

const sourcesByRegistry = new WeakMap<Registry, Set<HaMetricsSource>>();

function ensureGauges(registry: Registry, sources: Set<HaMetricsSource>): void {
  if (registry.getSingleMetric(METRIC.brokerSlaveConnected)) return;
  new Gauge({
    name: METRIC.brokerReplicationLagBytes,
    help: 'Replication lag of each slave behind its master, in bytes of commit log',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources) for (const x of s.slaveLag?.() ?? []) this.set({ slave: x.slave }, x.lagBytes);
    },
  });
  new Gauge({
    name: METRIC.brokerReplicationLagSeconds,
    help: 'Age of the oldest commit-log byte a slave has not acknowledged, in seconds',
    labelNames: ['slave'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources) for (const x of s.slaveLag?.() ?? []) this.set({ slave: x.slave }, x.lagSeconds);
    },
  });
  new Gauge({
    name: METRIC.brokerSlaveConnected,
    help: 'HA connection state: 1 per connected slave on a master; 1/0 for its master connection on a slave',
    labelNames: ['role', 'peer'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources) for (const c of s.connections()) this.set({ role: c.role, peer: c.peer }, c.connected);
    },
  });
}

/** Attaches a source to a registry's replication gauges; returns the detach function. */
export function attachHaMetrics(registry: Registry | undefined, source: HaMetricsSource): () => void {
  if (!registry) return () => undefined;
  let sources = sourcesByRegistry.get(registry);
  if (!sources) {
    sources = new Set();
    sourcesByRegistry.set(registry, sources);
  }
  sources.add(source);
  ensureGauges(registry, sources);
  const set = sources;
  return () => {
    set.delete(source);
  };
}
