/**
 * The options of our RocketMQ client ({@link MQClient}), declared once with defaults, units and docs.
 *
 * Name-server addresses come from exactly one source, chosen in this order: `namesrvAddr` (a static list),
 * `namesrvDomain` (DNS A/SRV records) or `namesrvAddrServerUrl` (RocketMQ's HTTP address server, ref §7.4).
 * Timer defaults follow the Java client (ref §7.5); the fault-avoidance scheme follows ref §6.2, simplified.
 */
import { opt, resolveOptions } from '../common';
import type { Resolved } from '../common';

export const CLIENT_OPTIONS = {
  namesrvAddr: opt('', 'static name-server list, "host:port;host:port" (ref §7.4)'),
  namesrvDomain: opt(
    '',
    'DNS name whose A records (with namesrvDnsPort) or SRV records (target:port) give the name servers; a blue/green switch changes its answer',
  ),
  namesrvDnsRecordType: opt('auto', 'which DNS records to read for namesrvDomain: auto (SRV, then A), A or SRV', {
    values: ['auto', 'A', 'SRV'] as const,
  }),
  namesrvDnsPort: opt(9876, 'port appended to A-record addresses of namesrvDomain', { min: 1, max: 65535 }),
  namesrvDnsServer: opt('', 'DNS server "ip:port" to ask for namesrvDomain; empty = the system resolvers'),
  namesrvDnsRefreshMs: opt(30000, 'how often namesrvDomain is resolved again, in ms', { min: 10 }),
  namesrvAddrServerUrl: opt(
    '',
    'URL of a RocketMQ address server (HTTP GET, body "host:port;host:port"), e.g. http://host:8080/rocketmq/nsaddr',
  ),
  namesrvAddrServerRefreshMs: opt(120000, 'how often the address server is asked again, in ms', { min: 10 }),
  namesrvAddrServerTimeoutMs: opt(3000, 'HTTP timeout for the address server, in ms', { min: 1 }),
  pollNameServerInterval: opt(30000, 'how often cached topic routes are refreshed from the name servers, in ms', {
    min: 10,
  }),
  heartbeatBrokerInterval: opt(30000, 'how often the client sends HEART_BEAT to every broker in its routes, in ms', {
    min: 10,
  }),
  mqClientApiTimeout: opt(3000, 'timeout of one name-server or admin call, in ms', { min: 1 }),
  connectTimeoutMs: opt(3000, 'TCP connect timeout to name servers and brokers, in ms', { min: 1 }),
  sendMsgTimeout: opt(3000, 'default time budget of one send() call, retries included, in ms', { min: 1 }),
  retryTimesWhenSendFailed: opt(
    2,
    'extra send attempts after a retriable failure (at least one per other broker set is allowed within the deadline)',
    { min: 0, max: 64 },
  ),
  faultAvoidanceMs: opt(30000, 'how long a broker set that failed a send is avoided by new sends, in ms; 0 = off', {
    min: 0,
  }),
  busyRetryAfterMs: opt(1000, 'retryAfterMs suggested to callers when every broker set answered SYSTEM_BUSY, in ms', {
    min: 0,
  }),
  maxMessageSize: opt(8 * 1024 * 1024, 'largest message body (and batch body) sent to a broker, in bytes', {
    min: 1,
  }),
  producerGroup: opt('MQGATEWAY_PRODUCER', 'producer group sent with every message and heartbeat'),
  createTopicKey: opt('TBW102', 'template topic named in sends (defaultTopic), ref §5.12'),
  autoCreateTopic: opt(
    false,
    'send to a topic the name servers do not know through the createTopicKey route, so brokers with autoCreateTopicEnable create it (ref §5.12)',
  ),
  defaultTopicQueueNums: opt(4, 'queue count asked for when a broker auto-creates a topic on send', {
    min: 1,
    max: 1024,
  }),
  clientIP: opt('', 'IP reported in the client id; empty = the first non-internal IPv4 address, else 127.0.0.1'),
  instanceName: opt('DEFAULT', 'instance name in the client id; DEFAULT becomes "<pid>#<start time>" (ref §3.5)'),
  unitName: opt('', 'unit name appended to the client id when set'),
  pullTimeoutMs: opt(10000, 'network timeout of one pull beyond its suspendTimeoutMillis, in ms', { min: 1 }),
  aclAccessKey: opt<string>('', 'RocketMQ ACL account (brokers with aclEnable=true): every request is signed with it; empty = unsigned'),
  aclSecretKey: opt<string>('', 'secret key of aclAccessKey (HMAC-SHA1 signature, as RocketMQ clients sign)'),
  frameMaxLength: opt(16 * 1024 * 1024 + 64 * 1024, 'largest remoting frame accepted from a peer, in bytes', {
    min: 1024,
  }),
};

export type ClientOptionSpec = typeof CLIENT_OPTIONS;
/** Resolved client options. */
export type ClientOptions = Resolved<ClientOptionSpec>;
/** What a caller may pass: any subset, values as typed or as strings from a properties file. */
export type ClientOptionsInput = { [K in keyof ClientOptionSpec]?: ClientOptionSpec[K]['default'] | string };

/** Validates `input` against {@link CLIENT_OPTIONS} (unknown keys rejected). */
export function resolveClientOptions(input: Record<string, unknown> = {}): ClientOptions {
  return resolveOptions(CLIENT_OPTIONS, input, 'client');
}
