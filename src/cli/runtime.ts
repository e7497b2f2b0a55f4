/**
 * What every long-running `mq` process shares: a logger, its own prom-client Registry, the /metrics + /healthz +
 * /livez endpoint (http.ts), and clean shutdown on SIGTERM/SIGINT.
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
  /** Address the HTTP port binds to (the process's httpHost option); default 127.0.0.1. */
  httpHost?: string;
  /** The /healthz callback: `{ ok, checks?: [{ name, ok, degraded?, detail? }] }`, may be async (see http.ts). */
  health: () => HealthReport | Promise<HealthReport>;
  logLevel?: string;
  /** What /metrics serves instead of the process Registry (`mq dev` merges the registries of its components). */
  exposition?: Pick<Registry, 'metrics' | 'contentType'>;
  /** Install SIGTERM/SIGINT handlers (off when several components share one process). */
  handleSignals?: boolean;
  /**
   * After a stop signal, the process exits (code 1) if shutdown has not finished within this many ms; 0 = no bound.
   * A second signal exits at once either way.
   */
  shutdownTimeoutMs?: number;
}

/** Signal numbers for the conventional 128 + n exit code of a process stopped by a second signal. */
const SIGNAL_NUMBER = { SIGINT: 2, SIGTERM: 15 } as const;

export async function startRuntime(opts: RuntimeOptions): Promise<ProcessRuntime> {
  const logger = createLogger(opts.component, opts.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http: ObservabilityServer =
    opts.httpPort < 0
      ? { port: -1, close: async () => undefined }
      : await startObservability(opts.exposition ?? registry, opts.health, opts.httpPort, opts.httpHost ?? '127.0.0.1');
  const hooks: Array<() => Promise<void> | void> = [async () => http.close()];
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    if (stopping) return stopping;
    logger.info({ reason }, 'shutting down');
    stopping = (async () => {
      // Every hook runs even when an earlier one failed: a failing step is logged and the rest still runs.
      for (const hook of hooks.slice().reverse()) {
        try {
          await hook();
        } catch (err) {
          logger.error({ err }, 'shutdown step failed; continuing with the next one');
        }
      }
      logger.info('stopped');
      resolveStopped();
    })();
    return stopping;
  };
  if (opts.handleSignals !== false) {
    const timeoutMs = opts.shutdownTimeoutMs ?? 30_000;
    let signalled = false;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.on(sig, () => {
        if (signalled) {
          // The operator insists: exit now, whatever is still running.
          logger.warn({ signal: sig }, 'second stop signal: exiting at once');
          process.exit(128 + SIGNAL_NUMBER[sig]);
        }
        signalled = true;
        if (timeoutMs > 0) {
          setTimeout(() => {
            logger.error({ shutdownTimeoutMs: timeoutMs }, 'shutdown did not finish within shutdownTimeoutMs; exiting');
            process.exit(1);
          }, timeoutMs).unref();
        }
        void shutdown(sig).then(() => {
          // Every step ran: a handle something forgot to close must not keep the process up.
          setTimeout(() => process.exit(), 1000).unref();
        });
      });
    }
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
