/**
 * The shared observability endpoint on a real port: /healthz answers 503 with the failed checks named, 200 with
 * degraded ones listed, 503 when the callback throws; /livez answers 200 regardless of health; httpHost chooses the
 * address it listens on.
 */
import { expect } from 'chai';
import http from 'http';
import { Registry } from 'prom-client';
import { startObservability } from '../../src/cli/http';
import type { HealthReport, ObservabilityServer } from '../../src/cli/http';

function fetchJson(host: string, port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

describe('cli/http observability endpoint', function () {
  this.timeout(20000);
  const servers: ObservabilityServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function serve(health: () => HealthReport | Promise<HealthReport>, host = '127.0.0.1'): Promise<number> {
    const s = await startObservability(new Registry(), health, 0, host);
    servers.push(s);
    return s.port;
  }

  it('answers /healthz 503 naming every failed check, even when the callback says ok', async () => {
    const port = await serve(() => ({
      ok: true,
      checks: [
        { name: 'redis', ok: false, detail: 'connect ECONNREFUSED' },
        { name: 'nameServers', ok: false, detail: 'none answered' },
        { name: 'writableBrokerSet', ok: true },
      ],
    }));
    const r = await fetchJson('127.0.0.1', port, '/healthz');
    expect(r.status).to.equal(503);
    expect(r.body.ok).to.equal(false);
    expect(r.body.status).to.equal('failed');
    expect(r.body.failed).to.deep.equal(['redis', 'nameServers']);
    expect((r.body.checks as Array<{ detail?: string }>)[0].detail).to.equal('connect ECONNREFUSED');
  });

  it('answers 200 with degraded checks listed, and 503 when an async callback rejects', async () => {
    const p1 = await serve(async () => ({ ok: true, checks: [{ name: 'slave', ok: true, degraded: true, detail: 'no slave' }] }));
    const r1 = await fetchJson('127.0.0.1', p1, '/healthz');
    expect(r1.status).to.equal(200);
    expect(r1.body.status).to.equal('degraded');
    expect(r1.body.degraded).to.deep.equal(['slave']);
    const p2 = await serve(() => Promise.reject(new Error('boom')));
    const r2 = await fetchJson('127.0.0.1', p2, '/healthz');
    expect(r2.status).to.equal(503);
    expect(r2.body.failed).to.deep.equal(['health']);
  });

  it('answers /livez 200 while /healthz fails', async () => {
    const port = await serve(() => ({ ok: false }));
    expect((await fetchJson('127.0.0.1', port, '/healthz')).status).to.equal(503);
    const live = await fetchJson('127.0.0.1', port, '/livez');
    expect(live.status).to.equal(200);
    expect(live.body.live).to.equal(true);
    expect(live.body.pid).to.equal(process.pid);
  });

  it('listens on the address httpHost names only', async () => {
    const port = await serve(() => ({ ok: true }), '127.0.0.2');
    expect((await fetchJson('127.0.0.2', port, '/livez')).status).to.equal(200);
    const err = await fetchJson('127.0.0.1', port, '/livez').then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).to.equal('ECONNREFUSED');
  });

  it('names httpPort when the port is taken', async () => {
    const port = await serve(() => ({ ok: true }));
    const err = await startObservability(new Registry(), () => ({ ok: true }), port, '127.0.0.1').then(
      (s) => {
        servers.push(s);
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).to.match(/httpPort/).and.match(new RegExp(String(port)));
  });
});
