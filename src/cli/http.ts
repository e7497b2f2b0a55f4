/**
 * The observability endpoint every process serves: `/metrics` (Prometheus text from the process's own Registry)
 * and `/healthz` (JSON, 200 when healthy, 503 otherwise).
 */
import http from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

export interface HealthReport {
  ok: boolean;
  [key: string]: unknown;
}

export interface ObservabilityServer {
  port: number;
  close(): Promise<void>;
}

export async function startObservability(
  registry: Pick<Registry, 'metrics' | 'contentType'>,
  health: () => HealthReport,
  port: number,
  host = '127.0.0.1',
): Promise<ObservabilityServer> {
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
      let report: HealthReport;
      try {
        report = health();
      } catch (err) {
        report = { ok: false, error: (err as Error).message };
      }
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
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
