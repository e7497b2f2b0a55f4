/**
 * Name-server options, with RocketMQ's key names (NamesrvConfig / NettyServerConfig, ref §1.6, §7.2).
 * Given in a `.properties` file (`-c`) or as `--key=value`.
 */
import { opt, resolveOptions } from '../common';
import type { Resolved } from '../common';

export const NAMESRV_OPTIONS = {
  listenPort: opt(9876, 'remoting port (0 = any free port)', { min: 0, max: 65535 }),
  bindAddress: opt('0.0.0.0', 'address the remoting port binds to'),
  httpPort: opt(9877, 'HTTP port of /metrics and /healthz (0 = any free port, -1 = off)', { min: -1, max: 65535 }),
  httpHost: opt<string>('127.0.0.1', 'address the HTTP port binds to (0.0.0.0 = every interface, for a Prometheus on another host)'),
  scanNotActiveBrokerInterval: opt(10_000, 'how often silent brokers are looked for, ms', { min: 10 }),
  brokerChannelExpiredTime: opt(120_000, 'a broker not registered for this long is dropped, ms', { min: 10 }),
  serverChannelMaxIdleTimeSeconds: opt(120, 'connections with no traffic for this long are closed, seconds (0 = never)', {
    min: 0,
  }),
  frameMaxLength: opt(16 * 1024 * 1024, 'largest remoting frame accepted, length word included, bytes', {
    min: 1024,
    max: 0x7fffffff,
  }),
  partialFrameTimeoutMs: opt(30_000, 'a connection stalled inside a frame for this long is closed, ms (0 = never)', {
    min: 0,
  }),
  clusterSecret: opt<string>('', 'shared secret of the cluster: when set, REGISTER/UNREGISTER_BROKER and admin codes must be signed with it; empty = off'),
  clusterSecretFile: opt<string>('', 'file holding clusterSecret (trailing newline ignored); wins over clusterSecret'),
  shutdownTimeoutMs: opt(30000, 'after SIGTERM/SIGINT the process exits (code 1) if shutdown takes longer, ms (0 = no bound); a second signal exits at once', {
    min: 0,
    max: 600000,
  }),
  kvConfigPath: opt<string>('', 'file keeping the KV config (PUT_KV_CONFIG, ORDER_TOPIC_CONFIG) across restarts, RocketMQ kvConfig.json format; locked for the life of the process; empty = memory only'),
  orderMessageEnable: opt(false, 'fill orderTopicConf in routes from KV namespace ORDER_TOPIC_CONFIG'),
  // Empty by default so that MQ_LOG_LEVEL applies when the option is not given (as for the broker).
  logLevel: opt('', 'pino log level; empty = MQ_LOG_LEVEL or info', {
    values: ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  }),
};

export type NamesrvOptions = Resolved<typeof NAMESRV_OPTIONS>;

/** Resolves name-server options (unknown keys are rejected). */
export function resolveNamesrvOptions(input: Record<string, unknown> = {}): NamesrvOptions {
  return resolveOptions(NAMESRV_OPTIONS, input, 'namesrv');
}
