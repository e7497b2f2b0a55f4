/**
 * Client metrics on the injected prom-client Registry (never the global one). A gateway may run several clients on
 * one registry, so an existing metric of the same name is reused. Labels have bounded values: broker set names
 * come from routes, outcomes and statuses from fixed lists.
 */
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from '../metrics';

export interface ClientMetrics {
  /** One per send request to a broker: `outcome` = ok | degraded | busy | timeout | unavailable | error. */
  sendAttempts: Counter<'broker' | 'outcome'>;
  /** One per pull: `status` = FOUND | NO_NEW_MSG | NO_MATCHED_MSG | OFFSET_ILLEGAL | error. */
  pulls: Counter<'broker' | 'status'>;
  /** One per route fetch from the name servers: `outcome` = ok | not_found | error. */
  routeRefreshes: Counter<'outcome'>;
}

function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

/** Creates (or finds) the client metrics; without a registry they are kept but not exported. */
export function clientMetrics(registry?: Registry): ClientMetrics {
  return {
    sendAttempts: counter(registry, METRIC.clientSendAttempts, 'Send requests to brokers, by broker set and outcome', [
      'broker',
      'outcome',
    ]),
    pulls: counter(registry, METRIC.clientPulls, 'Pull requests, by broker set and result status', ['broker', 'status']),
    routeRefreshes: counter(registry, METRIC.clientRouteRefreshes, 'Topic route fetches from the name servers', ['outcome']),
  };
}

/** The `outcome` label of a failed send attempt. */
export function failureOutcome(code: string): string {
  switch (code) {
    case 'BUSY':
      return 'busy';
    case 'TIMEOUT':
      return 'timeout';
    case 'UNAVAILABLE':
    case 'CLOSED':
      return 'unavailable';
    default:
      return 'error';
  }
}
