/**
 * The broker's full option spec (its own keys plus the store's, passed through) and the live configuration object.
 */
import { MqError, resolveOptions } from '../common';
import type { Resolved } from '../common';
import { STORE_OPTION_SPEC } from '../store/options';
import { HA_BROKER_OPTION_SPEC } from './ha/ha-options';
import { SLAVE_SYNC_OPTION_SPEC } from './ha/slave-synchronize';
import { BROKER_OPTION_SPEC, LIVE_OPTION_KEYS, parseDelayLevels } from './options';
import type { LiveOptionKey } from './options';

/**
 * Every key `mq broker` accepts: store keys, HA replication and slave-sync keys (src/broker/ha), and the broker's
 * own keys on top (shared keys keep the broker's docs).
 */
export const BROKER_FULL_SPEC = {
  ...STORE_OPTION_SPEC,
  ...HA_BROKER_OPTION_SPEC,
  ...SLAVE_SYNC_OPTION_SPEC,
  ...BROKER_OPTION_SPEC,
} as const;

/** The type of {@link BROKER_FULL_SPEC}. */
export type BrokerFullSpec = typeof BROKER_FULL_SPEC;

/** Resolved options, writable so that live changes can be applied in place. */
export type BrokerConfig = { -readonly [K in keyof Resolved<BrokerFullSpec>]: Resolved<BrokerFullSpec>[K] };

/** Resolves user input (properties file and argv values) into a broker configuration. */
export function resolveBrokerConfig(input: Record<string, unknown> = {}): BrokerConfig {
  const cfg = { ...resolveOptions(BROKER_FULL_SPEC, input, 'broker') } as BrokerConfig;
  // RocketMQ forces brokerId 0 for masters and refuses a slave with id 0 (ref §8.1).
  if (cfg.brokerRole !== 'SLAVE') cfg.brokerId = 0;
  else if (cfg.brokerId <= 0) {
    throw new MqError('INVALID_OPTION', 'broker: a SLAVE needs brokerId > 0; set brokerId=1 (or higher)', {
      details: { option: 'brokerId' },
    });
  }
  parseDelayLevels(cfg.messageDelayLevel);
  return cfg;
}

/** The store's share of the configuration (every STORE_OPTION_SPEC key). */
export function storeOptionsOf(cfg: BrokerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(STORE_OPTION_SPEC)) out[k] = (cfg as Record<string, unknown>)[k];
  return out;
}

/**
 * Applies live changes (UPDATE_BROKER_CONFIG): only {@link LIVE_OPTION_KEYS}; values are validated against the spec.
 * Returns the keys that changed; throws MqError('INVALID_OPTION') naming a key that cannot change while running.
 */
export function applyLiveChanges(cfg: BrokerConfig, changes: Record<string, string>): Partial<Record<LiveOptionKey, unknown>> {
  const live = new Set<string>(LIVE_OPTION_KEYS);
  for (const k of Object.keys(changes)) {
    if (!live.has(k)) {
      throw new MqError('INVALID_OPTION', `broker: ${k} cannot be changed while running; live keys: ${LIVE_OPTION_KEYS.join(', ')}`, {
        details: { option: k },
      });
    }
  }
  const parsed = resolveOptions(BROKER_FULL_SPEC, changes, 'broker') as Record<string, unknown>;
  const applied: Partial<Record<LiveOptionKey, unknown>> = {};
  for (const k of Object.keys(changes) as LiveOptionKey[]) {
    (cfg as Record<string, unknown>)[k] = parsed[k];
    applied[k] = parsed[k];
  }
  return applied;
}
