/**
 * Token authentication and topic/group grants for send and get.
 *
 * The tokens file is JSON or Java .properties (chosen by content: JSON when it starts with `{` or `[`).
 *
 * JSON: a list of principals, or an object with a `principals` list:
 *   [ { "name": "billing-etl", "token": "s3cr3t", "send": ["orders", "audit_*"], "get": ["orders"],
 *       "groups": ["billing", "etl_*"] } ]
 *
 * Properties: one block of keys per principal name:
 *   billing-etl.token=s3cr3t
 *   billing-etl.send=orders,audit_*
 *   billing-etl.get=orders
 *   billing-etl.groups=billing,etl_*
 *
 * `send` lists the topics the principal may send to; `get` the topics it may read; `groups` the consumer groups it
 * may read as. Patterns: `*` alone matches everything; otherwise `*` matches any run of characters and everything
 * else is literal. Reading `%DLQ%<group>` needs the group only (the DLQ belongs to the group). Missing lists grant
 * nothing. Tokens must be unique. Pure: parsing takes text; the CLI reads the file.
 */
import crypto from 'crypto';
import { MqError, parseProperties } from '../common';

/** One principal: who a token is, and what it may do. */
export interface Principal {
  readonly name: string;
  readonly send: readonly string[];
  readonly get: readonly string[];
  readonly groups: readonly string[];
}

interface CompiledPrincipal extends Principal {
  readonly sendRe: readonly RegExp[];
  readonly getRe: readonly RegExp[];
  readonly groupRe: readonly RegExp[];
}

const DLQ_PREFIX = '%DLQ%';

/** Compiles a grant pattern (`*` = any run of characters) into an anchored regular expression. */
function compile(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

function listOf(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.map((s: string) => s.trim()).filter((s) => s !== '');
  throw new MqError('INVALID_OPTION', `authTokensFile: ${where} must be a list of strings`, { details: { option: 'authTokensFile' } });
}

interface RawPrincipal {
  name: string;
  token: string;
  send: string[];
  get: string[];
  groups: string[];
}

function fromJson(text: string): RawPrincipal[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MqError('INVALID_OPTION', `authTokensFile: invalid JSON: ${(err as Error).message}`, { details: { option: 'authTokensFile' } });
  }
  const list = Array.isArray(doc) ? doc : (doc as { principals?: unknown })?.principals;
  if (!Array.isArray(list)) {
    throw new MqError('INVALID_OPTION', 'authTokensFile: JSON must be a list of principals or {"principals": [...]}', {
      details: { option: 'authTokensFile' },
    });
  }
  return list.map((p: unknown, i) => {
    const o = (p ?? {}) as Record<string, unknown>;
    const name = typeof o.name === 'string' && o.name !== '' ? o.name : `#${i}`;
    return {
      name,
      token: typeof o.token === 'string' ? o.token : '',
      send: listOf(o.send, `${name}.send`),
      get: listOf(o.get, `${name}.get`),
      groups: listOf(o.groups, `${name}.groups`),
    };
  });
}

function fromProperties(text: string): RawPrincipal[] {
  const props = parseProperties(text);
  const byName = new Map<string, RawPrincipal>();
  for (const [key, value] of Object.entries(props)) {
    const dot = key.lastIndexOf('.');
    const name = dot > 0 ? key.slice(0, dot) : '';
    const field = key.slice(dot + 1);
    if (name === '' || !['token', 'send', 'get', 'groups'].includes(field)) {
      throw new MqError('INVALID_OPTION', `authTokensFile: unknown key ${key}; use <name>.token, <name>.send, <name>.get, <name>.groups`, {
        details: { option: 'authTokensFile' },
      });
    }
    const p = byName.get(name) ?? { name, token: '', send: [], get: [], groups: [] };
    if (field === 'token') p.token = value.trim();
    else p[field as 'send' | 'get' | 'groups'] = listOf(value, key);
    byName.set(name, p);
  }
  return [...byName.values()];
}

/** Checks tokens and grants. An Authorizer built from no file (`disabled()`) allows everything. */
export class Authorizer {
  private constructor(private readonly byTokenHash: ReadonlyMap<string, CompiledPrincipal> | null) {}

  /** Auth off (`mq dev`, no authTokensFile): every request is allowed. */
  static disabled(): Authorizer {
    return new Authorizer(null);
  }

  /** Parses a tokens file's text (JSON or properties). Throws INVALID_OPTION naming the problem. */
  static parse(text: string): Authorizer {
    const trimmed = text.trimStart();
    const raw = trimmed.startsWith('{') || trimmed.startsWith('[') ? fromJson(text) : fromProperties(text);
    const map = new Map<string, CompiledPrincipal>();
    for (const p of raw) {
      if (p.token === '') {
        throw new MqError('INVALID_OPTION', `authTokensFile: principal ${p.name} has no token`, { details: { option: 'authTokensFile' } });
      }
      const h = hashToken(p.token);
      if (map.has(h)) {
        throw new MqError('INVALID_OPTION', `authTokensFile: principal ${p.name} reuses another principal's token`, {
          details: { option: 'authTokensFile' },
        });
      }
      map.set(h, {
        name: p.name,
        send: p.send,
        get: p.get,
        groups: p.groups,
        sendRe: p.send.map(compile),
        getRe: p.get.map(compile),
        groupRe: p.groups.map(compile),
      });
    }
    return new Authorizer(map);
  }

  get enabled(): boolean {
    return this.byTokenHash !== null;
  }

  /** Number of principals (0 when disabled). */
  get size(): number {
    return this.byTokenHash?.size ?? 0;
  }

  /** The principal of a token; throws UNAUTHENTICATED. Resolves undefined when auth is off. */
  authenticate(token: string | undefined | null): Principal | undefined {
    if (this.byTokenHash === null) return undefined;
    if (typeof token !== 'string' || token === '') {
      throw new MqError('UNAUTHENTICATED', 'this gateway requires an auth token (SendRequest.auth / GetRequest.auth)');
    }
    const p = this.byTokenHash.get(hashToken(token));
    if (!p) throw new MqError('UNAUTHENTICATED', 'the auth token is not known to this gateway (see its authTokensFile)');
    return p;
  }

  /** Throws PERMISSION_DENIED unless the token's principal may send to `topic`. */
  checkSend(token: string | undefined | null, topics: Iterable<string>): void {
    const p = this.authenticate(token) as CompiledPrincipal | undefined;
    if (!p) return;
    for (const topic of topics) {
      if (!p.sendRe.some((re) => re.test(topic))) {
        throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not send to topic ${topic} (grants: ${p.send.join(', ') || 'none'})`);
      }
    }
  }

  /** Throws PERMISSION_DENIED unless the principal may read `topic` as `group` (`%DLQ%<group>` needs the group only). */
  checkGet(token: string | undefined | null, topic: string, group: string): void {
    const p = this.authenticate(token) as CompiledPrincipal | undefined;
    if (!p) return;
    if (!p.groupRe.some((re) => re.test(group))) {
      throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not read as consumer group ${group} (grants: ${p.groups.join(', ') || 'none'})`);
    }
    if (topic === DLQ_PREFIX + group) return;
    if (!p.getRe.some((re) => re.test(topic))) {
      throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not read topic ${topic} (grants: ${p.get.join(', ') || 'none'})`);
    }
  }
}
