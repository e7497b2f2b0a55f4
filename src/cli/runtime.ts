/**
 * What every long-running `mq` process shares: a logger, its own prom-client Registry, the /metrics + /healthz
 * endpoint, and clean shutdown on SIGTERM/SIGINT.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger } from './logger';
import type { Logger } from './logger';
import { startObservability } from './http';
import type { HealthReport, ObservabilityServer } from './http';

export interface ProcessRuntime {
  logger: Logger;
  registry: Registry;
  http: ObservabilityServer;
  /** Registers work to run at shutdown; hooks run in reverse order of registration. */
  onShutdown(hook: () => Promise<void> | void): void;
  /** Resolves when the process has been asked to stop and every hook has run. */
  stopped: Promise<void>;
  /** Runs the shutdown hooks now (used by tests and by `mq dev`). */
  shutdown(reason: string): Promise<void>;
}

export interface RuntimeOptions {
  component: string;
  /** HTTP port for /metrics and /healthz; 0 picks a free one, -1 disables it. */
  httpPort: number;
  health: () => HealthReport;
  logLevel?: string;
  /** What /metrics serves instead of the process Registry (`mq dev` merges the registries of its components). */
  exposition?: Pick<Registry, 'metrics' | 'contentType'>;
  /** Install SIGTERM/SIGINT handlers (off when several components share one process). */
  handleSignals?: boolean;
}

export async function startRuntime(opts: RuntimeOptions): Promise<ProcessRuntime> {
  const logger = createLogger(opts.component, opts.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http: ObservabilityServer =
    opts.httpPort < 0
      ? { port: -1, close: async () => undefined }
      : await startObservability(opts.exposition ?? registry, opts.health, opts.httpPort);
  const hooks: Array<() => Promise<void> | void> = [async () => http.close()];
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    logger.info({ reason }, 'shutting down');
    stopping = (async () => {
      for (const hook of hooks.slice().reverse()) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err }, 'shutdown hook failed');
        }
      }
      logger.info('stopped');
      resolveStopped();
    })();
    return stopping;
  };
  if (opts.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void shutdown(sig));
  }
  return { logger, registry, http, onShutdown: (h) => hooks.push(h), stopped, shutdown };
}

/**
 * Prints the one stdout line that says a process is serving, e.g. `namesrv ready listenPort=9876 httpPort=9877`.
 * Tests and scripts read the bound ports from it (ports may be 0 in the config).
 */
export function printReady(component: string, fields: Record<string, string | number>): void {
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stdout.write(`${component} ready ${kv}\n`);
}
