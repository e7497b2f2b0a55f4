/**
 * The observability endpoint every process serves:
 * - `/metrics`: Prometheus text from the process's own Registry;
 * - `/healthz`: JSON from the process's health callback; 200 when every check passed (degraded checks included),
 *   503 when one failed, with `failed` naming each failed check (and `degraded` the degraded ones);
 * - `/livez`: 200 as long as the process runs and its event loop answers (no dependency is consulted).
 *
 * A health callback returns `{ ok, checks?: [{ name, ok, degraded?, detail? }], ...anything }`; it may be async. A
 * callback that throws or takes longer than HEALTH_TIMEOUT_MS answers 503 naming the problem.
 * The server listens on `host` (the process's `httpHost` option; 127.0.0.1 by default).
 */
import http from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';
import { MqError } from '../common';

/** One dependency or property a health report checked. */
export interface HealthCheck {
  /** What was checked, e.g. `redis`, `nameServers`, `writableBrokerSet`. */
  name: string;
  /** False fails the report (503). */
  ok: boolean;
  /** True (with ok true): works, but with reduced guarantees (reported, still 200). */
  degraded?: boolean;
  /** A human-readable explanation, e.g. the error seen. */
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  checks?: HealthCheck[];
  [key: string]: unknown;
}

/** A health callback that takes longer than this answers 503. */
export const HEALTH_TIMEOUT_MS = 5000;

export interface ObservabilityServer {
  port: number;
  close(): Promise<void>;
}

/** Runs the health callback (bounded in time) and derives the answer: status code and JSON body. */
export async function evaluateHealth(health: () => HealthReport | Promise<HealthReport>): Promise<{ status: number; body: HealthReport }> {
  let report: HealthReport;
  let timer: NodeJS.Timeout | undefined;
  try {
    report = await Promise.race([
      Promise.resolve().then(health),
      new Promise<HealthReport>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`health check took longer than ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    report = { ok: false, checks: [{ name: 'health', ok: false, detail: (err as Error).message }] };
  } finally {
    clearTimeout(timer);
  }
  const checks = Array.isArray(report.checks) ? report.checks : [];
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  const degraded = checks.filter((c) => c.ok && c.degraded).map((c) => c.name);
  const ok = report.ok !== false && failed.length === 0;
  const body: HealthReport = { ...report, ok, status: ok ? (degraded.length > 0 ? 'degraded' : 'ok') : 'failed' };
  if (failed.length > 0) body.failed = failed;
  if (degraded.length > 0) body.degraded = degraded;
  return { status: ok ? 200 : 503, body };
}

export async function startObservability(
  registry: Pick<Registry, 'metrics' | 'contentType'>,
  health: () => HealthReport | Promise<HealthReport>,
  port: number,
  host = '127.0.0.1',
): Promise<ObservabilityServer> {
  const started = Date.now();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        },
      );
      return;
    }
    if (url === '/healthz') {
      void evaluateHealth(health).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body) + '\n');
      });
      return;
    }
    if (url === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ live: true, pid: process.pid, uptimeMs: Date.now() - started }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /healthz or /livez\n');
  });
  // Slow or idle HTTP clients must not pile up (the endpoint may be reachable from other hosts with httpHost).
  server.headersTimeout = 10000;
  server.requestTimeout = 15000;
  server.keepAliveTimeout = 5000;
  server.maxConnections = 256;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES'
          ? new MqError('INVALID_OPTION', `cannot listen on httpHost ${host} httpPort ${port}: ${err.code} (choose another httpPort, or -1 to turn HTTP off)`, {
              details: { option: 'httpPort' },
            })
          : err,
      );
    });
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
