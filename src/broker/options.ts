/**
 * Broker options, with RocketMQ's own key names (ref §5, §6.1, §7.1, §8.1, §9) so that an operator's
 * `broker-a.properties` carries over. Store options (src/store/options.ts) are merged in by {@link brokerSpec}
 * and passed through to the MessageStore; keys both sides know (brokerRole, maxMessageSize, ...) are declared here
 * too, with the same defaults, so that the broker can read them.
 */
import os from 'os';
import path from 'path';
import { opt } from '../common';

/** The broker's own options. Times are in milliseconds unless the name says otherwise. */
export const BROKER_OPTION_SPEC = {
  brokerClusterName: opt('DefaultCluster', 'cluster this broker set belongs to (registered with the name servers)'),
  brokerName: opt('broker-a', 'name of the broker set (master and slaves share it)'),
  brokerId: opt(0, 'id within the broker set: 0 = master, >0 = slave (forced to 0 for master roles)', { min: 0 }),
  brokerRole: opt<string>('ASYNC_MASTER', 'ASYNC_MASTER, SYNC_MASTER or SLAVE (a SLAVE rejects sends)', {
    values: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'],
  }),
  flushDiskType: opt<string>('ASYNC_FLUSH', 'ASYNC_FLUSH or SYNC_FLUSH (commit-log durability of an acknowledged send)', {
    values: ['ASYNC_FLUSH', 'SYNC_FLUSH'],
  }),
  namesrvAddr: opt('', 'name servers to register with, `host:port;host:port` (empty: register nowhere)'),
  listenPort: opt(10911, 'main remoting port (0 = any free port)', { min: 0, max: 65535 }),
  brokerIP1: opt<string>('127.0.0.1', 'IPv4 address advertised to name servers and written as STOREHOST into records'),
  haListenPort: opt(-1, 'HA replication port; -1 (not given) = listenPort + 1 as RocketMQ forces it (any free port when listenPort=0), 0 = any free port', {
    min: -1,
    max: 65535,
  }),
  httpPort: opt(-2, 'HTTP port for /metrics and /healthz; -2 (not given) = listenPort + 3 (10914 for 10911, so brokers with distinct listenPorts share a host; any free port when listenPort=0), 0 = any free port, -1 = off', {
    min: -2,
    max: 65535,
  }),
  httpHost: opt<string>('127.0.0.1', 'address the HTTP port binds to (0.0.0.0 = every interface, for a Prometheus on another host)'),
  bindAddress: opt<string>('0.0.0.0', 'address the remoting and HA ports bind to (all interfaces by default, as RocketMQ); brokerIP1 is what is advertised'),
  storePathRootDir: opt(path.join(os.homedir(), 'store'), 'root directory of commit log, queues, index and config'),
  brokerPermission: opt(6, 'broker permission bits (2 write, 4 read); reported for every topic when not 6', {
    min: 0,
    max: 7,
  }),
  autoCreateTopicEnable: opt(true, 'create unknown topics on first send from the TBW102 template (ref §5.12)'),
  defaultTopicQueueNums: opt(8, 'queue count of the TBW102 template topic (ref §5.10)', { min: 1, max: 1024 }),
  clusterTopicEnable: opt(true, 'the cluster-name topic is readable and writable'),
  brokerTopicEnable: opt(true, 'the broker-name topic is readable and writable'),
  autoCreateSubscriptionGroup: opt(true, 'accept consumer groups that were never declared'),
  statsLogFile: opt('', 'stats.log in RocketMQ\'s line format (minute/hour/day lines); empty = <storePathRootDir>/logs/stats.log, `off` = none'),
  osPageCacheBusyTimeOutMills: opt(1000, 'commit-log lock hold time (ms) above which sends are refused (ref §6.1)', {
    min: 1,
  }),
  waitTimeMillsInSendQueue: opt(200, 'max time (ms) a send may wait in the send queue before [TIMEOUT_CLEAN_QUEUE]', {
    min: 1,
  }),
  sendThreadPoolQueueCapacity: opt(10000, 'capacity of the bounded send queue; a full queue answers [OVERLOAD]', {
    min: 1,
  }),
  sendMessageThreadPoolNums: opt(64, 'sends handed to the store at once (Node has no threads: puts in flight)', {
    min: 1,
  }),
  brokerFastFailureEnable: opt(true, 'run the fast-failure task every 10 ms (queue cleaning, ref §6.1)'),
  maxMessageSize: opt(8 * 1024 * 1024, 'max message body size in bytes (8 MiB here; RocketMQ uses 4 MiB)', {
    min: 1024,
  }),
  longPollingEnable: opt(true, 'hold pulls that find nothing for suspendTimeoutMillis (else shortPollingTimeMills)'),
  shortPollingTimeMills: opt(1000, 'hold time (ms) of an empty pull when longPollingEnable is false', { min: 0 }),
  pullHoldRecheckMills: opt(5000, 'period (ms) of the held-pull re-check, a safety net next to arrival wake-ups', {
    min: 10,
  }),
  messageDelayLevel: opt('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h', 'delay levels (s, m, h, d)'),
  maxReconsumeTimes: opt(16, 'deliveries before a failed message goes to %DLQ%<group> (group retryMaxTimes)', {
    min: 0,
  }),
  retryQueueNums: opt(1, 'queue count of %RETRY%<group> topics', { min: 1, max: 64 }),
  slaveReadEnable: opt(false, 'suggest the slave (brokerId 1) to consumers falling behind (ref §8.4)'),
  registerNameServerPeriod: opt(30000, 'period (ms) of re-registration with every name server', {
    min: 500,
    max: 60000,
  }),
  registerBrokerTimeoutMills: opt(6000, 'timeout (ms) of one REGISTER_BROKER call', { min: 100 }),
  flushConsumerOffsetInterval: opt(5000, 'period (ms) of writing consumerOffset.json', { min: 100 }),
  flushDelayOffsetInterval: opt(10000, 'period (ms) of writing delayOffset.json', { min: 100 }),
  regionId: opt('DefaultRegion', 'MSG_REGION returned in send responses'),
  traceOn: opt(true, 'TRACE_ON returned in send responses'),
  defaultQueryMaxNum: opt(32, 'max messages of a QUERY_MESSAGE by unique key', { min: 1 }),
  maxMsgsNumBatch: opt(64, 'cap on maxNum of QUERY_MESSAGE', { min: 1 }),
  serverChannelMaxIdleTimeSeconds: opt(120, 'idle connections are closed after this many seconds', { min: 1 }),
  frameMaxLength: opt(16 * 1024 * 1024, 'largest remoting frame accepted, bytes', { min: 1024 }),
  logLevel: opt('', 'pino log level (fatal, error, warn, info, debug, trace); empty = MQ_LOG_LEVEL or info'),
  clusterSecret: opt<string>('', 'shared secret of the cluster: when set, registration, admin codes and the HA handshake must be signed with it (see README Security); empty = off'),
  clusterSecretFile: opt<string>('', 'file holding clusterSecret (trailing newline ignored); wins over clusterSecret'),
  aclEnable: opt(false, 'check RocketMQ 4.x ACL signatures (AccessKey/Signature) and permissions on every request (ref §10)'),
  aclFile: opt<string>('', 'plain_acl.yml-format file of accounts, topic/group permissions and globalWhiteRemoteAddresses; required with aclEnable=true'),
  shutdownTimeoutMs: opt(30000, 'after SIGTERM/SIGINT the process exits (code 1) if shutdown takes longer, ms (0 = no bound); a second signal exits at once', {
    min: 0,
    max: 600000,
  }),
} as const;

/** The type of {@link BROKER_OPTION_SPEC}. */
export type BrokerOptionSpec = typeof BROKER_OPTION_SPEC;

/** Option keys that can be changed while running with UPDATE_BROKER_CONFIG (the flow-control thresholds). */
export const LIVE_OPTION_KEYS = [
  'osPageCacheBusyTimeOutMills',
  'waitTimeMillsInSendQueue',
  'sendThreadPoolQueueCapacity',
  'sendMessageThreadPoolNums',
  'brokerFastFailureEnable',
  'longPollingEnable',
  'shortPollingTimeMills',
  'slaveReadEnable',
  'maxReconsumeTimes',
  'autoCreateTopicEnable',
  'maxMessageSize',
  // Draining a broker (RocketMQ's updateBrokerConfig -k brokerPermission -v 4): re-registered at once.
  'brokerPermission',
] as const;

/** A key UPDATE_BROKER_CONFIG may change. */
export type LiveOptionKey = (typeof LIVE_OPTION_KEYS)[number];

/** Parses `messageDelayLevel` ("1s 5s 1m 2h 1d") into milliseconds per level (index 0 = level 1). */
export function parseDelayLevels(text: string): number[] {
  const unit: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const out: number[] = [];
  for (const part of text.trim().split(/\s+/)) {
    if (part === '') continue;
    const m = /^(\d+)([smhd])$/.exec(part);
    if (!m) throw new Error(`messageDelayLevel: cannot parse ${JSON.stringify(part)}; use e.g. "1s 5s 1m 2h 1d"`);
    out.push(Number(m[1]) * unit[m[2]]);
  }
  if (out.length === 0) throw new Error('messageDelayLevel: at least one level is needed');
  return out;
}
