/** Options of the console (`mq console`, and the console inside `mq dev`). */
import { MqError, opt, resolveOptions } from '../common';
import type { Resolved } from '../common';

export const CONSOLE_OPTIONS = {
  listenHost: opt<string>('127.0.0.1', 'address the console HTTP server listens on'),
  listenPort: opt(8080, 'console HTTP port (0 = a free port)', { min: 0, max: 65535 }),
  namesrvAddr: opt<string>('', 'name servers, host:port[;host:port] (NAMESRV_ADDR when unset)'),
  adminToken: opt<string>('', 'bearer token that may read and change state (required by mq console; prefer adminTokenFile)'),
  adminTokenFile: opt<string>('', 'file holding the admin token'),
  readToken: opt<string>('', 'bearer token that may only read (empty = no read-only access)'),
  readTokenFile: opt<string>('', 'file holding the read-only token'),
  dataDir: opt<string>('./console-data', "the console's data directory (alerts.json: backlog thresholds)"),
  alertIntervalMs: opt(5000, 'how often backlog thresholds are evaluated, ms', { min: 500, max: 3_600_000 }),
  gatewayStatusUrl: opt<string>('', "a gateway's /healthz URL shown on the cluster page (empty = none)"),
  requestTimeoutMs: opt(5000, 'timeout of each admin request to the cluster, ms', { min: 100, max: 120000 }),
  logLevel: opt<string>('', 'pino log level (empty = MQ_LOG_LEVEL, then info)'),
};

export type ConsoleOptions = Resolved<typeof CONSOLE_OPTIONS>;

/** Resolves console options (unknown keys rejected); at least the admin token is required, tokens must differ. */
export function resolveConsoleOptions(input: Record<string, unknown>): ConsoleOptions {
  const o = resolveOptions(CONSOLE_OPTIONS, input, 'console');
  if (o.namesrvAddr === '') throw new MqError('INVALID_OPTION', 'console: namesrvAddr is required (or set NAMESRV_ADDR)', { details: { option: 'namesrvAddr' } });
  if (o.adminToken === '') throw new MqError('INVALID_OPTION', 'console: adminToken (or adminTokenFile) is required', { details: { option: 'adminToken' } });
  if (o.readToken !== '' && o.readToken === o.adminToken) {
    throw new MqError('INVALID_OPTION', 'console: readToken must differ from adminToken', { details: { option: 'readToken' } });
  }
  return o;
}
