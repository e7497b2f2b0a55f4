/**
 * Request signatures of the remoting protocol: RocketMQ 4.x ACL and our cluster secret.
 *
 * **RocketMQ ACL (ref §10, AclClientRPCHook):** the client adds `AccessKey` (and optionally `SecurityToken`) to
 * extFields, then `Signature` = Base64(HMAC-SHA1(secretKey, content)), where content = the UTF-8 concatenation of
 * the extFields **values** sorted by key (Java TreeMap order = UTF-16 code-unit order, which is JavaScript's default
 * string order), `Signature` itself left out, followed by the body bytes. The broker recomputes it over every
 * extField except `Signature` and `_UNIQUE_KEY_QUERY` (ali-ons also adds `OnsChannel`, which is signed).
 *
 * **Cluster secret (ours):** name servers and brokers configured with `clusterSecret` require REGISTER_BROKER,
 * UNREGISTER_BROKER and the admin codes ({@link CLUSTER_SIGNED_CODES}) to carry `ClusterTs` (ms since the epoch)
 * and `ClusterSignature` = Base64(HMAC-SHA256(clusterSecret, content)), content built the same way over every
 * extField except the two signatures and the ACL fields (an ACL signature may be added after it), plus the body.
 * A timestamp more than {@link CLUSTER_SIGNATURE_WINDOW_MS} away from the receiver's clock is refused, so a captured
 * request cannot be replayed later.
 */
import crypto from 'crypto';
import { RequestCode, ResponseCode } from './codes';
import { RemotingCommand as Command } from './command';
import type { RemotingCommand } from './command';

export const ACL_ACCESS_KEY = 'AccessKey';
export const ACL_SIGNATURE = 'Signature';
export const ACL_SECURITY_TOKEN = 'SecurityToken';
/** QUERY_MESSAGE's marker field, left out of the ACL content by RocketMQ brokers. */
const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';
export const CLUSTER_TS = 'ClusterTs';
export const CLUSTER_SIGNATURE = 'ClusterSignature';
/** How far a cluster signature's timestamp may be from the receiver's clock, ms. */
export const CLUSTER_SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/**
 * Request codes that must carry a valid cluster signature wherever `clusterSecret` is set: registration, and the
 * admin codes that change topics, configuration or permissions. Admin processors added later belong here too.
 */
export const CLUSTER_SIGNED_CODES: ReadonlySet<number> = new Set<number>([
  RequestCode.REGISTER_BROKER,
  RequestCode.UNREGISTER_BROKER,
  RequestCode.QUERY_DATA_VERSION,
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.DELETE_TOPIC_IN_NAMESRV,
  RequestCode.UPDATE_BROKER_CONFIG,
  RequestCode.UPDATE_NAMESRV_CONFIG,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_SUBSCRIPTIONGROUP,
  RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
  RequestCode.WIPE_WRITE_PERM_OF_BROKER,
  RequestCode.ADD_WRITE_PERM_OF_BROKER,
  RequestCode.PUT_KV_CONFIG,
  RequestCode.DELETE_KV_CONFIG,
]);

/** Concatenated values of `fields` in key order (skipping `skip`), then the body: what both signatures sign. */
function content(fields: Record<string, string> | undefined, body: Buffer | undefined, skip: ReadonlySet<string>): Buffer {
  const keys = Object.keys(fields ?? {})
    .filter((k) => !skip.has(k))
    .sort();
  const text = Buffer.from(keys.map((k) => fields![k]).join(''), 'utf8');
  return body && body.length > 0 ? Buffer.concat([text, body]) : text;
}

const ACL_SKIP = new Set([ACL_SIGNATURE, UNIQUE_MSG_QUERY_FLAG]);
const CLUSTER_SKIP = new Set([CLUSTER_SIGNATURE, ACL_SIGNATURE, ACL_ACCESS_KEY, ACL_SECURITY_TOKEN, 'OnsChannel', UNIQUE_MSG_QUERY_FLAG]);

/** The RocketMQ ACL signature of a request as a broker computes it (every extField but Signature, plus the body). */
export function aclSignature(req: Pick<RemotingCommand, 'extFields' | 'body'>, secretKey: string): string {
  return crypto.createHmac('sha1', secretKey).update(content(req.extFields, req.body, ACL_SKIP)).digest('base64');
}

/** Signs a request as RocketMQ's AclClientRPCHook does: adds AccessKey (+ SecurityToken) and Signature. */
export function signAcl(req: RemotingCommand, accessKey: string, secretKey: string, securityToken?: string): void {
  const ext = (req.extFields ??= {});
  delete ext[ACL_SIGNATURE];
  ext[ACL_ACCESS_KEY] = accessKey;
  if (securityToken) ext[ACL_SECURITY_TOKEN] = securityToken;
  ext[ACL_SIGNATURE] = aclSignature(req, secretKey);
}

function clusterMac(req: Pick<RemotingCommand, 'extFields' | 'body'>, secret: string): Buffer {
  return crypto.createHmac('sha256', secret).update(content(req.extFields, req.body, CLUSTER_SKIP)).digest();
}

/** Adds ClusterTs and ClusterSignature (call before signAcl when both are used). */
export function signCluster(req: RemotingCommand, secret: string, now = Date.now()): void {
  const ext = (req.extFields ??= {});
  delete ext[CLUSTER_SIGNATURE];
  ext[CLUSTER_TS] = String(now);
  ext[CLUSTER_SIGNATURE] = clusterMac(req, secret).toString('base64');
}

/** Why a cluster signature is not acceptable, or undefined when it is valid. */
export function checkClusterSignature(req: Pick<RemotingCommand, 'extFields' | 'body'>, secret: string, now = Date.now()): string | undefined {
  const ext = req.extFields ?? {};
  const given = ext[CLUSTER_SIGNATURE];
  if (!given) return 'no cluster signature';
  const ts = Number(ext[CLUSTER_TS]);
  if (!Number.isFinite(ts) || Math.abs(now - ts) > CLUSTER_SIGNATURE_WINDOW_MS) {
    return `cluster signature timestamp ${ext[CLUSTER_TS] ?? '(none)'} is outside ±${CLUSTER_SIGNATURE_WINDOW_MS / 1000} s of this clock`;
  }
  const want = clusterMac(req, secret);
  const got = Buffer.from(given, 'base64');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return 'cluster signature does not match (clusterSecret differs?)';
  return undefined;
}

/** Constant-time comparison of two base64 signatures. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Signing a client applies to every request it sends (RocketMQ's RPCHook.doBeforeRequest). */
export interface RequestSigner {
  /** Cluster secret: requests get ClusterTs + ClusterSignature. */
  clusterSecret?: string;
  /** ACL account: requests get AccessKey + Signature. */
  accessKey?: string;
  secretKey?: string;
  securityToken?: string;
}

/** Applies a {@link RequestSigner} to an outgoing request (cluster signature first, ACL last). */
export function applySigner(req: RemotingCommand, signer: RequestSigner | undefined): void {
  if (!signer) return;
  if (signer.clusterSecret) signCluster(req, signer.clusterSecret);
  if (signer.accessKey && signer.secretKey) signAcl(req, signer.accessKey, signer.secretKey, signer.securityToken);
}

/** What a request hook decides about one request: undefined = go on, otherwise the refusal remark. */
export type AuthCheck = (req: RemotingCommand, remoteAddress: string) => string | undefined;

/**
 * The cluster-secret rule as a check for {@link RemotingServer.setRequestHook}: a request with a valid cluster
 * signature is a cluster member's and passes (`trusted` is then called with true); a request with an invalid one is
 * refused; an unsigned request is refused when its code is in {@link CLUSTER_SIGNED_CODES}, and otherwise goes on to
 * `next` (e.g. the broker's ACL check). With an empty secret only `next` applies.
 */
export function clusterAuthCheck(secret: string, next?: AuthCheck): AuthCheck {
  return (req, remoteAddress) => {
    if (secret !== '') {
      if (req.extFields?.[CLUSTER_SIGNATURE] !== undefined) {
        const why = checkClusterSignature(req, secret);
        return why === undefined ? undefined : `request code ${req.code} refused: ${why}`;
      }
      if (CLUSTER_SIGNED_CODES.has(req.code)) {
        return `request code ${req.code} needs the cluster signature: this server has clusterSecret set`;
      }
    }
    return next?.(req, remoteAddress);
  };
}

/** Turns an {@link AuthCheck} into a request hook answering NO_PERMISSION (16) with the reason as remark. */
export function authHook(check: AuthCheck): (req: RemotingCommand, ch: { remoteAddress: string }) => RemotingCommand | undefined {
  return (req, ch) => {
    const why = check(req, ch.remoteAddress);
    return why === undefined ? undefined : Command.createResponse(ResponseCode.NO_PERMISSION, why);
  };
}
