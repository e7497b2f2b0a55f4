/**
 * HEART_BEAT (34) body: HeartbeatData JSON (ref §3.5). Parsed tolerantly (fastjson bare keys, missing or unknown
 * fields), since Java, ali-ons and our own client all send it.
 *
 * Grammar: {"clientID":s, "consumerDataSet":[{"groupName":s,"consumeType":s,"messageModel":s,
 *   "consumeFromWhere":s,"unitMode":b,"subscriptionDataSet":[{"topic":s,"subString":s,"tagsSet":[s],
 *   "codeSet":[i],"subVersion":l,"expressionType"?:s,"classFilterMode":b}]}], "producerDataSet":[{"groupName":s}]}
 */
import { MqError } from '../common';
import { parseFastJson } from '../common/fastjson';
import { buildSubscription } from './subscription';
import type { SubscriptionData } from './subscription';

/** One consumer group entry of a heartbeat. */
export interface ConsumerData {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  unitMode: boolean;
  subscriptionDataSet: SubscriptionData[];
}

/** A decoded heartbeat: the client id and the groups it produces to and consumes from. */
export interface HeartbeatData {
  clientID: string;
  consumerDataSet: ConsumerData[];
  producerDataSet: Array<{ groupName: string }>;
}

type Obj = Record<string, unknown>;

function asObj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown, dflt = ''): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? dflt : String(v);
}

/** Decodes a heartbeat body; throws MqError('INVALID_ARGUMENT') when it is not JSON or has no clientID. */
export function decodeHeartbeat(body: Buffer | undefined): HeartbeatData {
  if (!body || body.length === 0) throw new MqError('INVALID_ARGUMENT', 'heartbeat body is empty');
  let root: Obj;
  try {
    root = asObj(parseFastJson(body.toString('utf8')));
  } catch (err) {
    throw new MqError('INVALID_ARGUMENT', `heartbeat body is not JSON: ${(err as Error).message}`);
  }
  const clientID = str(root.clientID);
  if (clientID === '') throw new MqError('INVALID_ARGUMENT', 'heartbeat body has no clientID');
  const consumerDataSet = asArray(root.consumerDataSet).map((c): ConsumerData => {
    const o = asObj(c);
    return {
      groupName: str(o.groupName),
      consumeType: str(o.consumeType, 'CONSUME_PASSIVELY'),
      messageModel: str(o.messageModel, 'CLUSTERING'),
      consumeFromWhere: str(o.consumeFromWhere, 'CONSUME_FROM_LAST_OFFSET'),
      unitMode: o.unitMode === true || o.unitMode === 'true',
      subscriptionDataSet: asArray(o.subscriptionDataSet).map((s) => {
        const so = asObj(s);
        const sub = buildSubscription(str(so.topic), str(so.subString, '*'), Number(so.subVersion ?? 0) || 0);
        // Trust the client's code set when it sent one (it is what the client filters by).
        const codes = asArray(so.codeSet).map(Number).filter(Number.isFinite);
        if (codes.length > 0 && sub.subString !== '*') sub.codeSet = codes;
        if (typeof so.expressionType === 'string') sub.expressionType = so.expressionType;
        return sub;
      }),
    };
  });
  const producerDataSet = asArray(root.producerDataSet).map((p) => ({ groupName: str(asObj(p).groupName) }));
  return { clientID, consumerDataSet: consumerDataSet.filter((c) => c.groupName !== ''), producerDataSet };
}
