/**
 * Store metrics on the injected prom-client Registry (a private one when none is given, never the global one):
 * puts and put bytes, commit-log bytes on disk, commit-log write (lock hold) time, disk use.
 */
import * as fs from 'fs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRIC } from '../metrics';

export interface StoreMetricSources {
  commitLogBytes(): number;
  storePath(): string;
}

/** Used share (0..1) of the file system holding `p`; 0 when it cannot be read. */
export function diskUsedRatio(p: string): number {
  try {
    const st = fs.statfsSync(p);
    return st.blocks > 0 ? 1 - st.bavail / st.blocks : 0;
  } catch {
    return 0;
  }
}

/** The store's metrics; existing metrics of the same name on the registry are reused (several stores, tests). */
export class StoreMetrics {
  /** Messages appended (counted per written batch). */
  readonly puts: Counter;
  /** Record bytes appended. */
  readonly putBytes: Counter;
  /** Duration of each batched commit-log write, ms. */
  readonly writeMs: Histogram;

  constructor(registry: Registry | undefined, sources: StoreMetricSources) {
    const reg = registry ?? new Registry();
    const get = <T>(name: string): T | undefined => reg.getSingleMetric(name) as T | undefined;
    this.puts =
      get<Counter>(METRIC.storePutMessages) ??
      new Counter({ name: METRIC.storePutMessages, help: 'Messages appended to the commit log', registers: [reg] });
    this.putBytes =
      get<Counter>(METRIC.storePutBytes) ??
      new Counter({ name: METRIC.storePutBytes, help: 'Record bytes appended to the commit log', registers: [reg] });
    this.writeMs =
      get<Histogram>(METRIC.storeWriteMs) ??
      new Histogram({
        name: METRIC.storeWriteMs,
        help: 'Duration of each batched commit-log write (the put lock hold time), ms',
        buckets: [0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
        registers: [reg],
      });
    if (!get(METRIC.storeCommitLogBytes)) {
      new Gauge({
        name: METRIC.storeCommitLogBytes,
        help: 'Bytes of commit log held on disk (max - min physical offset)',
        registers: [reg],
        collect() {
          this.set(sources.commitLogBytes());
        },
      });
    }
    if (!get(METRIC.storeDiskUsedRatio)) {
      new Gauge({
        name: METRIC.storeDiskUsedRatio,
        help: 'Used share of the disk holding storePathRootDir (0..1)',
        registers: [reg],
        collect() {
          this.set(diskUsedRatio(sources.storePath()));
        },
      });
    }
  }
}
