/**
 * What every broker processor shares: the live configuration, the store, the managers, the store host and the
 * metrics. Built once by the BrokerController.
 */
import type pino from 'pino';
import type { Channel } from '../remoting';
import type { HostPort } from '../common/message';
import type { BrokerConfig } from './config';
import type { BrokerMetrics } from './metrics';
import type { BrokerStore } from './store-api';
import type { LogIdentity } from './log-identity';
import type { ConsumerManager } from './consumer-manager';
import type { ConsumerOffsetManager } from './consumer-offset-manager';
import type { TopicConfigManager } from './topic-config-manager';

/** Shared state of one broker, passed to every processor. */
export interface BrokerContext {
  /** Live configuration: flow-control thresholds may change at runtime (UPDATE_BROKER_CONFIG). */
  config: BrokerConfig;
  store: BrokerStore;
  topics: TopicConfigManager;
  offsets: ConsumerOffsetManager;
  consumers: ConsumerManager<Channel>;
  /** brokerIP1:listenPort, written as STOREHOST into every record (ref §4.1). */
  storeHost: HostPort;
  /** Delay level durations in ms; index 0 = level 1 (ref §5.13). */
  delayLevels: number[];
  metrics: BrokerMetrics;
  /** The store's identity and each topic's logId (reported to readers; a slave takes its master's). */
  identity: LogIdentity;
  logger: pino.Logger;
  /** Re-registers with every name server now (after a topic change). */
  registerNow(): Promise<void>;
}
