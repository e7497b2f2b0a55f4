/**
 * What the operator-facing processors (stats, subscription groups, reset offset) need beyond the shared
 * {@link BrokerContext}: the broker statistics and the subscription-group table.
 */
import type { BrokerStatsManager } from './broker-stats-manager';
import type { BrokerContext } from './context';
import type { SubscriptionGroupManager } from './subscription-group-manager';

export interface OpsContext extends BrokerContext {
  stats: BrokerStatsManager;
  groups: SubscriptionGroupManager;
}
