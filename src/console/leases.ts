/** The gateway's consumer-group state (src/coord): per group and queue the committed offset, cursor and leases in flight. */
import type { Coordinator } from '../coord';

export interface LeaseRow {
  group: string;
  topic: string;
  queueKey: string;
  committed: number;
  cursor: number;
  inflight: number;
}

export async function gatewayLeases(coord: Coordinator, limitGroups = 200): Promise<{ groups: Array<{ group: string; queues: LeaseRow[] }> }> {
  const out: Array<{ group: string; queues: LeaseRow[] }> = [];
  for (const group of (await coord.groups()).sort().slice(0, limitGroups)) {
    const queues: LeaseRow[] = [];
    for (const c of await coord.committedOffsets(group)) {
      const snap = await coord.inspect({ group, topic: c.topic, queueKey: c.queueKey });
      queues.push({ group, topic: c.topic, queueKey: c.queueKey, committed: snap?.committed ?? c.offset, cursor: snap?.cursor ?? c.offset, inflight: snap?.inflight ?? 0 });
    }
    out.push({ group, queues });
  }
  return { groups: out };
}
