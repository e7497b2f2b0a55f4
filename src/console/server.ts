/**
 * The console's HTTP server (node:http): the single-page front end (static files built into dist/, no request
 * leaves the console's origin: Content-Security-Policy default-src 'self') and a JSON API under /api/.
 *
 * Access: `Authorization: Bearer <token>` on every /api/ call. The admin token may read and change state; the
 * read-only token may only read (GET). No token or a wrong one: 401; the read-only token on a change: 403.
 */
import crypto from 'crypto';
import fs from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import path from 'path';
import type { Logger } from 'pino';
import { MqError } from '../common';
import { AlertStore, evaluate, prometheusRules } from './alerts';
import type { AlertState } from './alerts';
import { ConsoleApi } from './api';
import type { ConsoleOptions } from './options';

export type Role = 'admin' | 'read';

export interface ConsoleDeps {
  logger: Logger;
  /** Gateway state for the groups page (consumers, leases); optional. */
  gatewayStatus?: () => Promise<unknown>;
  /** Where the built front end lives (default: dist/src/console/web next to this file). */
  webDir?: string;
}

const STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_OPTION: 400,
  NOT_FOUND: 404,
  TOPIC_NOT_FOUND: 404,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
};

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

/** Which role a request's bearer token grants (undefined: none). */
export function roleOf(header: string | undefined, adminToken: string, readToken: string): Role | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const got = digest(m[1]);
  if (adminToken !== '' && crypto.timingSafeEqual(got, digest(adminToken))) return 'admin';
  if (readToken !== '' && crypto.timingSafeEqual(got, digest(readToken))) return 'read';
  return undefined;
}

export class ConsoleServer {
  readonly api: ConsoleApi;
  readonly alerts: AlertStore;
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private states = new Map<string, AlertState>();
  private readonly webDir: string;
  private evaluating = false;

  constructor(
    private readonly opts: ConsoleOptions,
    private readonly deps: ConsoleDeps,
  ) {
    this.api = new ConsoleApi({ namesrvAddr: opts.namesrvAddr, timeoutMs: opts.requestTimeoutMs });
    this.alerts = new AlertStore(opts.dataDir);
    this.webDir = deps.webDir ?? path.join(__dirname, 'web');
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    if (!fs.existsSync(path.join(this.webDir, 'index.html'))) {
      throw new MqError('UNAVAILABLE', `console: the front end is not built (${this.webDir}/index.html missing): run npm run build`);
    }
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.headersTimeout = 10000;
    server.requestTimeout = 120000;
    server.keepAliveTimeout = 5000;
    server.maxConnections = 256;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new MqError('INVALID_OPTION', `console: cannot listen on ${this.opts.listenHost}:${this.opts.listenPort}: ${err.code ?? err.message}`, { details: { option: 'listenPort' } })),
      );
      server.listen(this.opts.listenPort, this.opts.listenHost, () => resolve());
    });
    this.server = server;
    this.timer = setInterval(() => void this.evaluateAlerts(), this.opts.alertIntervalMs);
    this.timer.unref();
    void this.evaluateAlerts();
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.api.close();
  }

  /** Evaluates every threshold now (one lag look-up per group). */
  async evaluateAlerts(): Promise<AlertState[]> {
    if (this.evaluating) return [...this.states.values()];
    this.evaluating = true;
    try {
      const now = Date.now();
      const byGroup = new Map<string, Awaited<ReturnType<ConsoleApi['lag']>> | Error>();
      const next = new Map<string, AlertState>();
      for (const t of this.alerts.all()) {
        if (!byGroup.has(t.group)) byGroup.set(t.group, await this.api.lag(t.group).catch((err: Error) => err));
        const lag = byGroup.get(t.group)!;
        const prev = this.states.get(t.id);
        if (lag instanceof Error) next.set(t.id, { threshold: t, firing: prev?.firing ?? false, count: prev?.count ?? 0, ageSeconds: prev?.ageSeconds ?? 0, reasons: prev?.reasons ?? [], since: prev?.since, checkedAt: now, error: lag.message });
        else next.set(t.id, evaluate(t, lag.rows, now, prev));
      }
      this.states = next;
      return [...next.values()];
    } finally {
      this.evaluating = false;
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    const p = url.pathname;
    const security = {
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    try {
      if (!p.startsWith('/api/')) return this.serveStatic(p, req, res, security);
      const role = roleOf(req.headers.authorization, this.opts.adminToken, this.opts.readToken);
      if (!role) throw new HttpError(401, 'give Authorization: Bearer <admin or read-only token>');
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD' && role !== 'admin') throw new HttpError(403, 'the read-only token cannot change anything');
      const body = method === 'POST' || method === 'PUT' ? await readJson(req) : {};
      const out = await this.route(method, p, url.searchParams, body, role);
      if (out instanceof Download) {
        res.writeHead(200, { ...security, 'content-type': out.type, 'content-disposition': `attachment; filename="${out.name.replace(/[^\w.%-]/g, '_')}"` });
        res.end(out.text);
        return;
      }
      res.writeHead(200, { ...security, 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    } catch (err) {
      const status = err instanceof HttpError ? err.status : MqError.is(err) ? (STATUS[err.code] ?? 502) : 500;
      if (status >= 500) this.deps.logger.warn({ err, path: p }, 'console request failed');
      res.writeHead(status, { ...security, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message, code: MqError.is(err) ? err.code : undefined }));
    }
  }

  private serveStatic(p: string, req: http.IncomingMessage, res: http.ServerResponse, headers: Record<string, string>): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    const name = p === '/' ? 'index.html' : p.slice(1);
    if (!/^[a-z0-9-]+\.(html|js|css|svg)$/.test(name)) throw new HttpError(404, `not found: ${p}`);
    const file = path.join(this.webDir, name);
    if (!fs.existsSync(file)) throw new HttpError(404, `not found: ${p}`);
    res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(name)] });
    res.end(req.method === 'HEAD' ? undefined : fs.readFileSync(file));
  }

  private async route(method: string, p: string, q: URLSearchParams, body: Record<string, unknown>, role: Role): Promise<unknown> {
    const seg = p.slice('/api/'.length).split('/').map((s) => decodeURIComponent(s));
    const key = `${method} ${seg[0]}${seg.length > 1 ? '/:a' : ''}${seg.length > 2 ? `/${seg[2]}` : ''}`;
    const a = seg[1] ?? '';
    const api = this.api;
    switch (key) {
      case 'GET whoami':
        return { role };
      case 'GET cluster':
        return api.cluster();
      case 'GET gateway':
        return this.deps.gatewayStatus ? this.deps.gatewayStatus() : this.fetchGatewayStatus();
      case 'GET topics':
        return api.topics(q.get('search') ?? '');
      case 'POST topics':
        return api.createTopic(body as never);
      case 'GET topics/:a':
        return api.topic(a);
      case 'GET topics/:a/growth':
        return api.growth(a, q.get('granularity') ?? 'minute');
      case 'DELETE topics/:a':
        return api.deleteTopic(a);
      case 'GET groups':
        return api.groups(await this.gatewayGroups());
      case 'GET groups/:a':
        return api.group(a);
      case 'POST groups/:a/reset':
        return api.resetOffset(a, String(body.topic ?? ''), Number(body.timestamp));
      case 'DELETE groups/:a':
        return api.deleteGroup(a);
      case 'GET messages':
        return this.queryMessages(q);
      case 'GET messages/:a':
        if (a !== 'download') break;
        return new Download(`messages-${Date.now()}.json`, 'application/json', JSON.stringify(await this.queryMessages(q), null, 2));
      case 'GET dlq/:a':
        return api.dlq(a);
      case 'GET dlq/:a/export':
        return new Download(`dlq-${a}-${Date.now()}.json`, 'application/json', JSON.stringify(await api.dlq(a, 100000), null, 2));
      case 'POST dlq/:a/resend':
        return api.resend(a, body.msgIds as string[]);
      case 'GET alerts':
        return { thresholds: this.alerts.all(), states: [...this.states.values()] };
      case 'GET alerts/:a':
        if (a !== 'rules') break;
        return new Download('mq-console-rules.yml', 'text/yaml; charset=utf-8', prometheusRules(this.alerts.all()));
      case 'POST alerts': {
        const t = this.alerts.put(body);
        await this.evaluateAlerts();
        return t;
      }
      case 'PUT alerts/:a': {
        const t = this.alerts.put(body, a);
        await this.evaluateAlerts();
        return t;
      }
      case 'DELETE alerts/:a':
        this.alerts.remove(a);
        this.states.delete(a);
        return { id: a, deleted: true };
      case 'POST alerts/:a':
        if (a !== 'evaluate') break;
        return this.evaluateAlerts();
      default:
        break;
    }
    throw new HttpError(404, `no API ${method} ${p}`);
  }

  private async queryMessages(q: URLSearchParams): Promise<unknown> {
    const topic = q.get('topic') ?? '';
    const id = q.get('id');
    if (id) return this.api.byId(id, topic);
    if (!topic) throw new HttpError(400, 'give id, or topic with key, or topic with begin and end');
    const k = q.get('key');
    if (k) return this.api.byKey(topic, k);
    const begin = Number(q.get('begin'));
    const end = Number(q.get('end') ?? Date.now());
    if (!Number.isFinite(begin) || !Number.isFinite(end)) throw new HttpError(400, 'begin and end are epoch milliseconds');
    return this.api.byTime(topic, begin, end, Number(q.get('limit') ?? 2000));
  }

  /** Group names in the gateway's state (when the console is given it), else none. */
  private async gatewayGroups(): Promise<string[]> {
    if (!this.deps.gatewayStatus) return [];
    try {
      const st = (await this.deps.gatewayStatus()) as { groups?: Array<{ group?: unknown }> };
      return (st.groups ?? []).map((g) => g.group).filter((g): g is string => typeof g === 'string' && !g.startsWith('%'));
    } catch {
      return [];
    }
  }

  private async fetchGatewayStatus(): Promise<unknown> {
    if (this.opts.gatewayStatusUrl === '') return { configured: false };
    try {
      const r = await fetch(this.opts.gatewayStatusUrl, { signal: AbortSignal.timeout(3000) });
      return { configured: true, status: r.status, health: await r.json() };
    } catch (err) {
      return { configured: true, error: (err as Error).message };
    }
  }
}

class Download {
  constructor(
    readonly name: string,
    readonly type: string,
    readonly text: string,
  ) {}
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new HttpError(413, 'request body above 1 MiB');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new HttpError(400, `request body must be a JSON object: ${(err as Error).message}`);
  }
}
