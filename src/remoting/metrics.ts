/**
 * Remoting metrics, created on the injected prom-client Registry. A server and a client in one process may share a
 * registry, so an existing metric of the same name is reused.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics';
import { RequestCode } from './codes';

export interface RemotingMetrics {
  badFrames: Counter<'name' | 'reason'>;
  requests: Counter<'name' | 'code'>;
  connections: Gauge<'name'>;
}

const CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RequestCode).map(([name, code]) => [code, name]));

/**
 * The `code` label: a known request code by its RocketMQ name (`SEND_MESSAGE`), or `other` so that random input
 * cannot grow the label set.
 */
export function codeLabel(code: number): string {
  return CODE_NAMES.get(code) ?? 'other';
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames, registers: [registry] });
}

/** Creates (or finds) the remoting metrics on `registry`; without a registry, unregistered metrics are used. */
export function remotingMetrics(registry?: Registry): RemotingMetrics {
  if (!registry) {
    return {
      badFrames: new Counter({ name: METRIC.remotingBadFrames, help: 'x', labelNames: ['name', 'reason'], registers: [] }),
      requests: new Counter({ name: METRIC.remotingRequests, help: 'x', labelNames: ['name', 'code'], registers: [] }),
      connections: new Gauge({ name: METRIC.remotingConnections, help: 'x', labelNames: ['name'], registers: [] }),
    };
  }
  return {
    badFrames: counter(registry, METRIC.remotingBadFrames, 'Connections closed for a malformed or stalled frame', [
      'name',
      'reason',
    ]),
    requests: counter(registry, METRIC.remotingRequests, 'Requests received, by request code', ['name', 'code']),
    connections: gauge(registry, METRIC.remotingConnections, 'Open remoting connections', ['name']),
  };
}
