/**
 * Replication metrics (METRIC.brokerReplicationLag*, METRIC.brokerSlaveConnected), computed at scrape time from every
 * HA service and client attached to a Registry. Several may share one registry (e.g. `mq dev` runs a master and a
 * slave in one process), so the gauges are created once per registry and read all attached sources.
 *
 * - mq_broker_replication_lag_bytes    master side: master max offset - acked offset of the slowest slave
 * - mq_broker_replication_lag_seconds  master side: age of the oldest byte the slowest slave has not acknowledged
 * - mq_broker_slaves_connected         master side: connected slaves (goes to 0, never vanishes)
 * - mq_broker_slave_connected          slave side: 1 when connected to its master, else 0
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
  // No per-slave label: the master only knows a slave by the ephemeral port of its HA connection, which changes at
  // every reconnect. The worst slave is what an alert needs; names come from mq_broker_info of the same target.
  const lag = (pick: (x: SlaveLagSample) => number) =>
    function (this: Gauge) {
      let worst = 0;
      let masters = 0;
      for (const s of sources) {
        if (!s.slaveLag) continue;
        masters++;
        for (const x of s.slaveLag()) worst = Math.max(worst, pick(x));
      }
      this.reset();
      // Only a master reports lag; it reads 0 (not absent) when no slave is connected.
      if (masters > 0) this.set(worst);
    };
  new Gauge({
    name: METRIC.brokerReplicationLagBytes,
    help: 'Replication lag of the slowest connected slave behind this master, bytes of commit log (0 without slaves)',
    registers: [registry],
    collect: lag((x) => x.lagBytes),
  });
  new Gauge({
    name: METRIC.brokerReplicationLagSeconds,
    help: 'Age of the oldest commit-log byte the slowest connected slave has not acknowledged, s (0 without slaves)',
    registers: [registry],
    collect: lag((x) => x.lagSeconds),
  });
  new Gauge({
    name: METRIC.brokerSlavesConnected,
    help: 'Slaves connected to this master over HA (0 when every slave is gone)',
    registers: [registry],
    collect() {
      let n = 0;
      let masters = 0;
      for (const s of sources) {
        if (!s.slaveLag) continue;
        masters++;
        n += s.connections().filter((c) => c.role === 'master' && c.connected === 1).length;
      }
      this.reset();
      if (masters > 0) this.set(n);
    },
  });
  new Gauge({
    name: METRIC.brokerSlaveConnected,
    help: 'On a slave: 1 while connected to its master over HA, else 0',
    registers: [registry],
    collect() {
      this.reset();
      const mine = [...sources].flatMap((s) => s.connections().filter((c) => c.role === 'slave'));
      if (mine.length > 0) this.set(mine.some((c) => c.connected === 1) ? 1 : 0);
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
