/**
 * The broker's /healthz checks (issue 10, item 5). Each check is named; a failed one makes /healthz answer 503:
 * - `storeWritable`: the commit log has not failed, the disk-full guard is off and a probe file can be written in
 *   storePathRootDir;
 * - `disk`: the file system holding the store is below diskSpaceWarningLevelRatio (above it puts are refused);
 * - `nameServerRegistration`: every configured name server accepted a registration within two periods (some but
 *   not all: degraded; none: failed; no namesrvAddr: not checked);
 * - `replication`: a SYNC_MASTER with no slave in sync is degraded (sends answer SLAVE_NOT_AVAILABLE); a SLAVE not
 *   connected to its master is degraded.
 */
import fs from 'fs';
import path from 'path';

export interface BrokerHealthCheck {
  name: string;
  ok: boolean;
  degraded?: boolean;
  detail?: string;
}

export interface BrokerHealthReport {
  ok: boolean;
  checks: BrokerHealthCheck[];
  [key: string]: unknown;
}

/** What the checks read; BrokerController supplies it. */
export interface BrokerHealthInput {
  storePathRootDir: string;
  diskSpaceWarningLevelRatio: number;
  registerNameServerPeriod: number;
  registerBrokerTimeoutMills: number;
  brokerRole: string;
  /** The store's own view: a failed commit-log write or the disk-full guard. */
  storeProblem(): string | undefined;
  nameServers: readonly string[];
  lastSuccessAt: ReadonlyMap<string, number>;
  lastFailure: ReadonlyMap<string, string>;
  /** SYNC/ASYNC master: a slave within haSlaveFallbehindMax; slave: connected to the master. */
  replicationOk(): boolean;
  now?: number;
}

function usedRatio(dir: string): number | undefined {
  try {
    const st = fs.statfsSync(dir);
    return st.blocks > 0 ? 1 - st.bavail / st.blocks : undefined;
  } catch {
    return undefined;
  }
}

export function brokerHealth(h: BrokerHealthInput): BrokerHealthReport {
  const now = h.now ?? Date.now();
  const checks: BrokerHealthCheck[] = [];
  // Store writable.
  let problem = h.storeProblem();
  if (problem === undefined) {
    const probe = path.join(h.storePathRootDir, `.healthz-${process.pid}`);
    try {
      fs.writeFileSync(probe, 'x');
      fs.unlinkSync(probe);
    } catch (err) {
      problem = `cannot write in ${h.storePathRootDir}: ${(err as Error).message}`;
    }
  }
  checks.push(problem === undefined ? { name: 'storeWritable', ok: true } : { name: 'storeWritable', ok: false, detail: problem });
  // Disk.
  const ratio = usedRatio(h.storePathRootDir);
  if (ratio === undefined) checks.push({ name: 'disk', ok: false, detail: `cannot read the usage of ${h.storePathRootDir}` });
  else {
    const pct = Math.round(ratio * 1000) / 10;
    checks.push(
      pct < h.diskSpaceWarningLevelRatio
        ? { name: 'disk', ok: true, detail: `${pct}% used (warning at ${h.diskSpaceWarningLevelRatio}%)` }
        : { name: 'disk', ok: false, detail: `${pct}% used, at or above diskSpaceWarningLevelRatio ${h.diskSpaceWarningLevelRatio}%: puts are refused` },
    );
  }
  // Name-server registration.
  if (h.nameServers.length > 0) {
    const window = 2 * h.registerNameServerPeriod + h.registerBrokerTimeoutMills;
    const stale = h.nameServers.filter((a) => now - (h.lastSuccessAt.get(a) ?? -Infinity) > window);
    const detail = stale.map((a) => `${a}: ${h.lastFailure.get(a) ?? 'no registration yet'}`).join('; ');
    if (stale.length === 0) checks.push({ name: 'nameServerRegistration', ok: true });
    else if (stale.length < h.nameServers.length) checks.push({ name: 'nameServerRegistration', ok: true, degraded: true, detail });
    else checks.push({ name: 'nameServerRegistration', ok: false, detail });
  }
  // Replication.
  if (h.brokerRole === 'SYNC_MASTER' && !h.replicationOk()) {
    checks.push({ name: 'replication', ok: true, degraded: true, detail: 'SYNC_MASTER has no slave in sync: sends answer SLAVE_NOT_AVAILABLE' });
  } else if (h.brokerRole === 'SLAVE' && !h.replicationOk()) {
    checks.push({ name: 'replication', ok: true, degraded: true, detail: 'slave is not connected to its master' });
  } else if (h.brokerRole !== 'ASYNC_MASTER') {
    checks.push({ name: 'replication', ok: true });
  }
  return { ok: checks.every((c) => c.ok), checks };
}
