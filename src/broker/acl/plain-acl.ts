/**
 * RocketMQ 4.x "plain" ACL on the broker (`aclEnable=true`): accounts with secret keys, topic and group permissions
 * and white-listed addresses, read from a `plain_acl.yml`-format file, checked for every request (ref §10).
 *
 * Order of the checks, as RocketMQ's PlainPermissionManager does them:
 * 1. a remote address in `globalWhiteRemoteAddresses` passes without a signature;
 * 2. the request must name an `AccessKey` that has an account;
 * 3. an address in the account's `whiteRemoteAddress` passes;
 * 4. the `Signature` must match (HMAC-SHA1 with the account's secretKey, see src/remoting/auth.ts);
 * 5. admin codes (topic create/delete, broker config, subscription group create/delete) need `admin: true`;
 * 6. every resource the request touches needs the permission: PUB to send to a topic, SUB to pull it; a consumer
 *    group is checked as its `%RETRY%<group>` resource against `groupPerms` (default `defaultGroupPerm`); topics
 *    against `topicPerms` (default `defaultTopicPerm`). DENY wins; an admin account without explicit perms passes.
 *
 * File format (the upstream sample's keys):
 *   globalWhiteRemoteAddresses: [list of address patterns]
 *   accounts: - accessKey, secretKey, whiteRemoteAddress, admin, defaultTopicPerm, defaultGroupPerm,
 *               topicPerms: ["topic=PUB|SUB", ...], groupPerms: ["group=SUB", ...]
 * Address patterns: `*`, an exact IPv4/IPv6 address, or IPv4 with per-octet `*`, `a-b` ranges or `{a,b,c}` sets
 * (e.g. `192.168.0.*`, `10.1.1-50.*`, `10.0.0.{1,2,3}`).
 */
import { MqError } from '../../common';
import { parseFastJson } from '../../common/fastjson';
import { RequestCode, aclSignature, sameSignature, ACL_ACCESS_KEY, ACL_SIGNATURE } from '../../remoting';
import type { RemotingCommand } from '../../remoting';
import { parseYamlSubset } from './yaml-subset';
import type { YamlValue } from './yaml-subset';

/** Permission bits, as RocketMQ's Permission class defines them. */
export const PERM = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;

/** Request codes that need an admin account (RocketMQ's Permission.ADMIN_CODE). */
export const ACL_ADMIN_CODES: ReadonlySet<number> = new Set<number>([
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.UPDATE_BROKER_CONFIG,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_SUBSCRIPTIONGROUP,
]);

const RETRY_PREFIX = '%RETRY%';

export type AddressMatcher = (ip: string) => boolean;

export interface AclAccount {
  accessKey: string;
  secretKey: string;
  white?: AddressMatcher;
  admin: boolean;
  defaultTopicPerm: number;
  defaultGroupPerm: number;
  /** topic → perm, and `%RETRY%<group>` → perm for groups. */
  perms: Map<string, number>;
}

export interface PlainAclConfig {
  file: string;
  globalWhite: AddressMatcher[];
  accounts: Map<string, AclAccount>;
}

/** Parses a permission word: PUB, SUB, PUB|SUB, SUB|PUB or DENY; anything else (or nothing) is DENY, as upstream. */
export function parsePerm(s: string | null | undefined): number {
  switch ((s ?? '').trim()) {
    case 'PUB':
      return PERM.PUB;
    case 'SUB':
      return PERM.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB':
      return PERM.PUB | PERM.SUB;
    default:
      return PERM.DENY;
  }
}

/** RocketMQ's Permission.checkPermission. */
export function permits(needed: number, owned: number): boolean {
  if ((owned & PERM.DENY) !== 0) return false;
  if ((needed & PERM.ANY) !== 0) return (owned & (PERM.PUB | PERM.SUB)) !== 0;
  return (needed & owned) !== 0;
}

function octetMatcher(part: string): ((n: number) => boolean) | undefined {
  if (part === '*') return () => true;
  if (/^\d{1,3}$/.test(part)) {
    const v = Number(part);
    return v <= 255 ? (n) => n === v : undefined;
  }
  const range = /^(\d{1,3})-(\d{1,3})$/.exec(part);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    return lo <= hi && hi <= 255 ? (n) => n >= lo && n <= hi : undefined;
  }
  const set = /^\{(\d{1,3}(?:,\d{1,3})*)\}$/.exec(part);
  if (set) {
    const vals = new Set(set[1].split(',').map(Number));
    return (n) => vals.has(n);
  }
  return undefined;
}

/** Compiles an address pattern; throws MqError INVALID_OPTION when it is not one. */
export function addressMatcher(pattern: string, where: string): AddressMatcher {
  const p = pattern.trim();
  if (p === '*' || p === '*.*.*.*') return () => true;
  if (p.includes(':')) return (ip) => ip.toLowerCase() === p.toLowerCase();
  const parts = p.split('.');
  const ms = parts.map(octetMatcher);
  if (parts.length !== 4 || ms.some((m) => m === undefined)) {
    throw new MqError('INVALID_OPTION', `${where}: ${JSON.stringify(pattern)} is not an address pattern (e.g. 192.168.0.*, 10.0.0.1-50, 10.0.0.{1,2})`);
  }
  return (ip) => {
    const o = ip.split('.');
    if (o.length !== 4) return false;
    return o.every((x, i) => /^\d+$/.test(x) && ms[i]!(Number(x)));
  };
}

function asList(v: YamlValue | undefined, where: string): YamlValue[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  throw new MqError('INVALID_OPTION', `${where} must be a list`);
}

function asString(v: YamlValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const ACCOUNT_KEYS = new Set(['accessKey', 'secretKey', 'whiteRemoteAddress', 'admin', 'defaultTopicPerm', 'defaultGroupPerm', 'topicPerms', 'groupPerms']);

/** Parses plain_acl.yml text; every mistake names the file (and line for syntax errors). */
export function parsePlainAcl(text: string, file: string): PlainAclConfig {
  const doc = parseYamlSubset(text, file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MqError('INVALID_OPTION', `${file}: expected a mapping with globalWhiteRemoteAddresses and accounts`);
  }
  const unknownTop = Object.keys(doc).filter((k) => k !== 'globalWhiteRemoteAddresses' && k !== 'accounts' && k !== 'dataVersion');
  if (unknownTop.length > 0) throw new MqError('INVALID_OPTION', `${file}: unknown keys ${unknownTop.join(', ')}`);
  const globalWhite = asList(doc.globalWhiteRemoteAddresses, `${file}: globalWhiteRemoteAddresses`)
    .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
    .map((p) => addressMatcher(p, `${file}: globalWhiteRemoteAddresses`));
  const accounts = new Map<string, AclAccount>();
  asList(doc.accounts, `${file}: accounts`).forEach((a, i) => {
    const where = `${file}: accounts[${i}]`;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new MqError('INVALID_OPTION', `${where} must be a mapping`);
    const unknown = Object.keys(a).filter((k) => !ACCOUNT_KEYS.has(k));
    if (unknown.length > 0) throw new MqError('INVALID_OPTION', `${where}: unknown keys ${unknown.join(', ')}`);
    const accessKey = asString(a.accessKey);
    const secretKey = asString(a.secretKey);
    if (!accessKey || !secretKey) throw new MqError('INVALID_OPTION', `${where}: accessKey and secretKey are required`);
    // Upstream refuses keys shorter than 6 characters.
    if (accessKey.length <= 5 || secretKey.length <= 5) {
      throw new MqError('INVALID_OPTION', `${where}: accessKey and secretKey must be longer than 5 characters`);
    }
    if (accounts.has(accessKey)) throw new MqError('INVALID_OPTION', `${where}: accessKey ${accessKey} appears twice`);
    const perms = new Map<string, number>();
    for (const [key, isTopic] of [['topicPerms', true], ['groupPerms', false]] as const) {
      for (const entry of asList(a[key], `${where}.${key}`)) {
        const m = typeof entry === 'string' ? /^([^=]+)=(.+)$/.exec(entry) : null;
        if (!m) throw new MqError('INVALID_OPTION', `${where}.${key}: ${JSON.stringify(entry)} is not name=PERM`);
        const name = m[1].trim();
        perms.set(isTopic ? name : RETRY_PREFIX + name, parsePerm(m[2]));
      }
    }
    const white = asString(a.whiteRemoteAddress);
    accounts.set(accessKey, {
      accessKey,
      secretKey,
      white: white && white.trim() !== '' ? addressMatcher(white, `${where}.whiteRemoteAddress`) : undefined,
      admin: asString(a.admin)?.trim().toLowerCase() === 'true',
      defaultTopicPerm: parsePerm(asString(a.defaultTopicPerm)),
      defaultGroupPerm: parsePerm(asString(a.defaultGroupPerm)),
      perms,
    });
  });
  return { file, globalWhite, accounts };
}

/** The resources (topic or %RETRY%group) and permissions a request needs, as upstream's PlainAccessResource.parse. */
export function neededPermissions(req: RemotingCommand): Map<string, number> {
  const ext = req.extFields ?? {};
  const need = new Map<string, number>();
  const add = (resource: string | undefined, perm: number): void => {
    if (resource === undefined || resource === '') return;
    need.set(resource, (need.get(resource) ?? 0) | perm);
  };
  const group = (g: string | undefined): string | undefined => (g === undefined ? undefined : RETRY_PREFIX + g);
  switch (req.code) {
    case RequestCode.SEND_MESSAGE:
      if (ext.topic?.startsWith(RETRY_PREFIX)) add(group(ext.group), PERM.SUB);
      else add(ext.topic, PERM.PUB);
      break;
    case RequestCode.SEND_MESSAGE_V2:
    case RequestCode.SEND_BATCH_MESSAGE:
      if (ext.b?.startsWith(RETRY_PREFIX)) add(group(ext.a), PERM.SUB);
      else add(ext.b, PERM.PUB);
      break;
    case RequestCode.CONSUMER_SEND_MSG_BACK:
      add(group(ext.group), PERM.SUB);
      add(ext.originTopic, PERM.PUB);
      break;
    case RequestCode.PULL_MESSAGE:
      add(ext.topic, PERM.SUB);
      add(group(ext.consumerGroup), PERM.SUB);
      break;
    case RequestCode.QUERY_MESSAGE:
      add(ext.topic, PERM.SUB);
      break;
    case RequestCode.HEART_BEAT: {
      let hb: unknown;
      try {
        hb = req.body && req.body.length > 0 ? parseFastJson(req.body.toString('utf8')) : {};
      } catch {
        hb = {};
      }
      const consumers = (hb as { consumerDataSet?: unknown }).consumerDataSet;
      for (const c of Array.isArray(consumers) ? consumers : []) {
        const cd = c as { groupName?: unknown; subscriptionDataSet?: unknown };
        if (typeof cd.groupName === 'string') add(group(cd.groupName), PERM.SUB);
        const subs = Array.isArray(cd.subscriptionDataSet) ? cd.subscriptionDataSet : [];
        for (const s of subs) {
          const topic = (s as { topic?: unknown }).topic;
          if (typeof topic === 'string') add(topic, PERM.SUB);
        }
      }
      break;
    }
    case RequestCode.UNREGISTER_CLIENT:
    case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
      add(group(ext.consumerGroup), PERM.SUB);
      break;
    case RequestCode.UPDATE_CONSUMER_OFFSET:
      add(group(ext.consumerGroup), PERM.SUB);
      add(ext.topic, PERM.SUB);
      break;
    default:
      break;
  }
  return need;
}

/** The IP part of `ip:port` (IPv6 in brackets or bare). */
function ipOf(remoteAddress: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(remoteAddress);
  if (m) return m[1];
  const i = remoteAddress.lastIndexOf(':');
  return i < 0 ? remoteAddress : remoteAddress.slice(0, i);
}

/** Why the request is refused, or undefined when the ACL allows it (see the file comment for the order). */
export function checkAcl(cfg: PlainAclConfig, req: RemotingCommand, remoteAddress: string): string | undefined {
  const ip = ipOf(remoteAddress);
  if (cfg.globalWhite.some((m) => m(ip))) return undefined;
  const ext = req.extFields ?? {};
  const accessKey = ext[ACL_ACCESS_KEY];
  if (!accessKey) return `No accessKey is configured (request code ${req.code} from ${ip}; aclEnable=true)`;
  const account = cfg.accounts.get(accessKey);
  if (!account) return `No acl config for ${accessKey}`;
  if (account.white?.(ip)) return undefined;
  const signature = ext[ACL_SIGNATURE];
  if (!signature || !sameSignature(aclSignature(req, account.secretKey), signature)) {
    return `Check signature failed for accessKey=${accessKey}`;
  }
  if (ACL_ADMIN_CODES.has(req.code) && !account.admin) {
    return `Need admin permission for request code=${req.code}, but accessKey=${accessKey} is not`;
  }
  const need = neededPermissions(req);
  if (account.admin && account.perms.size === 0) return undefined;
  for (const [resource, perm] of need) {
    const isGroup = resource.startsWith(RETRY_PREFIX);
    const owned = account.perms.get(resource) ?? (isGroup ? account.defaultGroupPerm : account.defaultTopicPerm);
    if (!permits(perm, owned)) {
      const name = isGroup ? `group ${resource.slice(RETRY_PREFIX.length)}` : `topic ${resource}`;
      return `No permission for ${name}: accessKey=${accessKey} needs ${perm & PERM.PUB ? 'PUB' : 'SUB'}`;
    }
  }
  return undefined;
}
