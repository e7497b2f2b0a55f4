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
 * else is literal. Missing lists grant nothing. Tokens must be unique. Pure: parsing takes text; the CLI reads the
 * file (and reloads it on SIGHUP or change: a new Authorizer replaces the old one).
 *
 * Reserved topics (`%RETRY%…`, `%DLQ%…`, `TBW102`, `SCHEDULE_TOPIC_XXXX`, `RMQ_SYS_…`) are matched only by patterns
 * that name them explicitly: a pattern whose part before its first `*` is itself reserved (`%DLQ%billing`,
 * `%DLQ%*`, `RMQ_SYS_TRACE_TOPIC`). `*`, `orders*` and the like never match them, for send and for get.
 *
 * Reading `%DLQ%<group>` needs the group grant, and then either an explicit get grant on the DLQ topic (all its
 * messages) or, without one, only the messages whose origin topic (RETRY_TOPIC) the principal may read: the others
 * are filtered out (see {@link Authorizer.dlqFilter}).
 *
 * With mutual TLS the verified client certificate's subject CN names the principal (its `name`); such a call needs
 * no token ({@link Authorizer.certificateToken}).
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
  readonly sendRe: readonly Grant[];
  readonly getRe: readonly Grant[];
  readonly groupRe: readonly RegExp[];
}

const DLQ_PREFIX = '%DLQ%';

/** Topics of the system: only explicit grants reach them. */
export function isReservedTopic(topic: string): boolean {
  return (
    topic.startsWith('%RETRY%') ||
    topic.startsWith(DLQ_PREFIX) ||
    topic.startsWith('RMQ_SYS_') ||
    topic === 'TBW102' ||
    topic === 'SCHEDULE_TOPIC_XXXX'
  );
}

/** A compiled grant: its regular expression, and whether it may reach reserved topics (it names them). */
interface Grant {
  re: RegExp;
  reserved: boolean;
}

function grant(pattern: string): Grant {
  // `%DLQ%*` and `RMQ_SYS_*` name reserved topics; `*`, `%*` or `TBW*` name nothing in particular.
  return { re: compile(pattern), reserved: isReservedTopic(pattern.split('*')[0]) };
}

function grants(list: readonly Grant[], topic: string): boolean {
  const reserved = isReservedTopic(topic);
  return list.some((g) => (!reserved || g.reserved) && g.re.test(topic));
}

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
  /** Principals by name (certificate subjects name them). */
  private byName = new Map<string, CompiledPrincipal>();
  /** Prefix of the tokens this process makes for certificate principals (random: no client can forge one). */
  private static readonly certPrefix = `\u0000cert:${crypto.randomBytes(16).toString('hex')}:`;

  private constructor(private byTokenHash: ReadonlyMap<string, CompiledPrincipal> | null) {
    for (const p of byTokenHash?.values() ?? []) this.byName.set(p.name, p);
  }

  /**
   * Takes the principals of a newly parsed tokens file (reload): calls that start afterwards see only them. Auth
   * cannot be switched on or off this way (a disabled Authorizer stays disabled).
   */
  replaceWith(next: Authorizer): void {
    if (this.byTokenHash === null || next.byTokenHash === null) {
      throw new MqError('INVALID_OPTION', 'authTokensFile: auth cannot be switched on or off by a reload; restart the gateway');
    }
    this.byTokenHash = next.byTokenHash;
    this.byName = next.byName;
  }

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
        sendRe: p.send.map(grant),
        getRe: p.get.map(grant),
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

  /**
   * The token that stands for a verified client certificate's subject in this process (the Thrift server puts it in
   * place of a missing SendRequest.auth / GetRequest.auth); it authenticates as the principal of that name.
   */
  static certificateToken(subject: string): string {
    return Authorizer.certPrefix + subject;
  }

  /** The principal of a token; throws UNAUTHENTICATED. Resolves undefined when auth is off. */
  authenticate(token: string | undefined | null): Principal | undefined {
    if (this.byTokenHash === null) return undefined;
    if (typeof token !== 'string' || token === '') {
      throw new MqError('UNAUTHENTICATED', 'this gateway requires an auth token (SendRequest.auth / GetRequest.auth)');
    }
    if (token.startsWith(Authorizer.certPrefix)) {
      const subject = token.slice(Authorizer.certPrefix.length);
      const byCert = this.byName.get(subject);
      if (!byCert) throw new MqError('UNAUTHENTICATED', `the client certificate's subject ${JSON.stringify(subject)} names no principal of this gateway (see its authTokensFile)`);
      return byCert;
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
      if (!grants(p.sendRe, topic)) {
        throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not send to topic ${topic} (grants: ${p.send.join(', ') || 'none'})`);
      }
    }
  }

  /**
   * Throws PERMISSION_DENIED unless the principal may read `topic` as `group`. `%DLQ%<group>` needs the group grant
   * only here; which of its messages may be returned is {@link dlqFilter}'s answer.
   */
  checkGet(token: string | undefined | null, topic: string, group: string): void {
    const p = this.authenticate(token) as CompiledPrincipal | undefined;
    if (!p) return;
    if (!p.groupRe.some((re) => re.test(group))) {
      throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not read as consumer group ${group} (grants: ${p.groups.join(', ') || 'none'})`);
    }
    if (topic === DLQ_PREFIX + group) return;
    if (!grants(p.getRe, topic)) {
      throw new MqError('PERMISSION_DENIED', `principal ${p.name} may not read topic ${topic} (grants: ${p.get.join(', ') || 'none'})`);
    }
  }

  /**
   * For a read of `%DLQ%<group>`: undefined when every message may be returned (auth off, or an explicit get grant on
   * the DLQ topic), else a test of a dead letter's origin topic (its RETRY_TOPIC property): true when the principal
   * may read that topic. Messages that fail it are left out of the reply.
   */
  dlqFilter(token: string | undefined | null, topic: string): ((originTopic: string | undefined) => boolean) | undefined {
    if (!topic.startsWith(DLQ_PREFIX)) return undefined;
    const p = this.authenticate(token) as CompiledPrincipal | undefined;
    if (!p || grants(p.getRe, topic)) return undefined;
    return (origin) => typeof origin === 'string' && origin !== '' && grants(p.getRe, origin);
  }
}
