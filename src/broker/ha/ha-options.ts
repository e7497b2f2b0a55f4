/**
 * Options of master/slave replication (ref §8), with RocketMQ's key names where RocketMQ has one. The broker passes
 * the HA subset of its own configuration through {@link resolveHaOptions}.
 */
import { defaultsOf, opt, resolveOptions } from '../../common';
import type { Resolved } from '../../common';

export const HA_OPTION_SPEC = {
  haListenPort: opt(10912, 'TCP port of the master HA listener (0 picks a free one); by convention listenPort + 1', {
    min: 0,
    max: 65535,
  }),
  haBindAddress: opt('0.0.0.0', 'IPv4 address the master HA listener binds to'),
  haMasterAddress: opt('', 'master HA address ip:port for a slave; empty = learn it from the name server registration'),
  haTransferBatchSize: opt(32768, 'largest block of commit-log bytes the master sends in one HA block, in bytes', {
    min: 1024,
    max: 64 * 1024 * 1024,
  }),
  haSendHeartbeatInterval: opt(5000, 'idle interval after which master and slave send an HA heartbeat, in ms', {
    min: 10,
  }),
  haHousekeepingInterval: opt(20000, 'an HA connection that has read nothing for this long is closed, in ms', {
    min: 50,
  }),
  haSlaveFallbehindMax: opt(268435456, 'SYNC_MASTER answers SLAVE_NOT_AVAILABLE when no slave is within this, in bytes', {
    min: 0,
  }),
  slaveTimeout: opt(3000, 'SYNC_MASTER waits this long for a slave ack before FLUSH_SLAVE_TIMEOUT, in ms', { min: 1 }),
  haConnectRetryInterval: opt(5000, 'a slave waits this long before reconnecting to its master, in ms', { min: 10 }),
  haTransferPollInterval: opt(5, 'longest a master sleeps before re-checking its commit log for new bytes, in ms', {
    min: 1,
    max: 1000,
  }),
  clusterSecret: opt<string>('', 'when set, master and slave authenticate each other with it before any commit-log byte flows'),
  haMaxBlockSize: opt(64 * 1024 * 1024, 'largest HA block a slave accepts (a bigger header is a protocol error), in bytes', {
    min: 1024,
  }),
};

export type HaOptions = Resolved<typeof HA_OPTION_SPEC>;

/**
 * The HA keys a broker spec should merge into its own (everything but the port and bind address, which the broker
 * derives from listenPort and brokerIP1), so that `broker.properties` may set them.
 */
export const HA_BROKER_OPTION_SPEC = (() => {
  const { haListenPort: _port, haBindAddress: _bind, ...rest } = HA_OPTION_SPEC;
  return rest;
})();
export const HA_DEFAULTS: HaOptions = defaultsOf(HA_OPTION_SPEC);

/** Resolves HA options; unknown keys are rejected. */
export function resolveHaOptions(input: Record<string, unknown> = {}): HaOptions {
  return resolveOptions(HA_OPTION_SPEC, input, 'ha');
}

/**
 * Picks the HA keys out of a broker's resolved options (which must declare them, e.g. by merging HA_OPTION_SPEC
 * without haListenPort into the broker spec) and sets the HA port the broker computed (listenPort + 1 by default).
 */
export function pickHaOptions(all: object, haListenPort: number, haBindAddress?: string): HaOptions {
  const src = all as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(HA_OPTION_SPEC)) if (k in src && src[k] !== undefined) picked[k] = src[k];
  picked.haListenPort = haListenPort;
  if (haBindAddress !== undefined) picked.haBindAddress = haBindAddress;
  return resolveHaOptions(picked);
}
