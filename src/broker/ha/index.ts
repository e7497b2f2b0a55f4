/** Master/slave replication (ref §8): HA wire codec, master service, slave client, metadata sync, metrics. */
export { BLOCK_HEADER_SIZE, REPORT_SIZE, BlockDecoder, ReportDecoder, encodeBlock, encodeBlockHeader, encodeReport } from './ha-codec';
export type { TransferBlock } from './ha-codec';
export { HA_DEFAULTS, HA_OPTION_SPEC, resolveHaOptions } from './ha-options';
export type { HaOptions } from './ha-options';
export type { HAStore, ReplicationResult, ReplicationWaiter } from './ha-store';
export { HAService } from './ha-service';
export type { HAServiceDeps, SlaveInfo } from './ha-service';
export { HAClient } from './ha-client';
export type { HAClientDeps, HAClientStatus } from './ha-client';
export { attachHaMetrics } from './ha-metrics';
export type { HaMetricsSource, SlaveLagSample } from './ha-metrics';
