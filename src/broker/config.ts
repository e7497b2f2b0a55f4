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

/** An IPv4 address in dotted form. */
function isIPv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
}

/** `host:port` with a port in 1..65535. */
function isHostPort(s: string): boolean {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/**
 * Resolves user input (properties file and argv values) into a broker configuration. Values are checked against
 * each other too (deleteWhen hours, addresses, derived ports); every problem is reported at once.
 */
export function resolveBrokerConfig(input: Record<string, unknown> = {}): BrokerConfig {
  const cfg = { ...resolveOptions(BROKER_FULL_SPEC, input, 'broker') } as BrokerConfig;
  const problems: string[] = [];
  // RocketMQ forces brokerId 0 for masters and refuses a slave with id 0 (ref §8.1).
  if (cfg.brokerRole !== 'SLAVE') cfg.brokerId = 0;
  else if (cfg.brokerId <= 0) problems.push('a SLAVE needs brokerId > 0; set brokerId=1 (or higher)');
  try {
    parseDelayLevels(cfg.messageDelayLevel);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const hours = cfg.deleteWhen.split(';').map((h) => h.trim());
  if (hours.some((h) => !/^\d{1,2}$/.test(h) || Number(h) > 23)) {
    problems.push(`deleteWhen=${cfg.deleteWhen}: hours of the day 0..23, ";"-separated (e.g. 04 or 04;16)`);
  }
  if (!isIPv4(cfg.brokerIP1)) problems.push(`brokerIP1=${cfg.brokerIP1} is not an IPv4 address (it is advertised to clients)`);
  if (cfg.bindAddress !== '0.0.0.0' && cfg.bindAddress !== '::' && !isIPv4(cfg.bindAddress) && !cfg.bindAddress.includes(':')) {
    problems.push(`bindAddress=${cfg.bindAddress} is not an IP address`);
  }
  const namesrvs = cfg.namesrvAddr.split(';').map((a) => a.trim()).filter((a) => a !== '');
  const badNs = namesrvs.filter((a) => !isHostPort(a));
  if (badNs.length > 0) problems.push(`namesrvAddr=${cfg.namesrvAddr}: ${badNs.join(', ')} not host:port (list them as host:port;host:port)`);
  if (cfg.haMasterAddress !== '' && !isHostPort(cfg.haMasterAddress)) problems.push(`haMasterAddress=${cfg.haMasterAddress} is not ip:port`);
  if (cfg.diskMaxUsedSpaceRatio > cfg.diskSpaceWarningLevelRatio) {
    problems.push(`diskMaxUsedSpaceRatio=${cfg.diskMaxUsedSpaceRatio} is above diskSpaceWarningLevelRatio=${cfg.diskSpaceWarningLevelRatio}`);
  }
  // httpPort not given: listenPort + 3 (10914 for 10911), so that brokers configured with distinct listenPorts can
  // share a host; the OS picks one when listenPort is 0.
  if (cfg.httpPort === -2) cfg.httpPort = cfg.listenPort === 0 ? 0 : cfg.listenPort + 3;
  if (cfg.httpPort > 65535) problems.push(`httpPort derived as listenPort + 3 = ${cfg.httpPort} is above 65535; set httpPort`);
  if (cfg.haListenPort < 0 && cfg.listenPort + 1 > 65535) problems.push(`haListenPort derived as listenPort + 1 is above 65535; set haListenPort`);
  if (cfg.clusterSecret !== '' && cfg.clusterSecret.length < 8) problems.push('clusterSecret is shorter than 8 characters');
  if (problems.length > 0) {
    throw new MqError('INVALID_OPTION', `broker: ${problems.length} configuration problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
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
