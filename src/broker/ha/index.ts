/** Master/slave replication (ref §8): HA wire codec, master service, slave client, metadata sync, metrics. */
export {
  BLOCK_HEADER_SIZE,
  REPORT_SIZE,
  BlockDecoder,
  ReportDecoder,
  encodeBlock,
  encodeBlockHeader,
  encodeReport,
} from './ha-codec';
export type { TransferBlock } from './ha-codec';
export { HA_DEFAULTS, HA_OPTION_SPEC, HA_BROKER_OPTION_SPEC, resolveHaOptions, pickHaOptions } from './ha-options';
export type { HaOptions } from './ha-options';
export type { HAStore, ReplicationResult, ReplicationWaiter } from './ha-store';
export { HAService } from './ha-service';
export type { HAServiceDeps, SlaveInfo } from './ha-service';
export { HAClient } from './ha-client';
export type { HAClientDeps, HAClientStatus } from './ha-client';
export {
  SlaveSynchronize,
  SLAVE_SYNC_OPTION_SPEC,
  SLAVE_SYNC_DEFAULTS,
  readOffsetTable,
  pickSlaveSyncOptions,
} from './slave-synchronize';
export type { SlaveSyncOptions, SlaveSyncTarget, SyncInvoker, OffsetEntry } from './slave-synchronize';
export { masterSyncProcessors, encodeOffsetTable } from './master-sync-processor';
export { suggestWhichBrokerId, MASTER_ID, WHICH_BROKER_WHEN_CONSUME_SLOWLY } from './slave-read';
export { HaController, brokerSyncTarget } from './ha-controller';
export type { BrokerRole, HaControllerDeps, HaControllerOptions, MasterAddresses } from './ha-controller';
export { attachHaMetrics } from './ha-metrics';
export type { HaMetricsSource, SlaveLagSample } from './ha-metrics';
