/**
 * QUERY_MESSAGE (12, by KEYS entry or by UNIQ_KEY) and VIEW_MESSAGE_BY_ID (33, by commit-log offset) (ref §2.3.4).
 * Bodies are the raw stored records back to back.
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';
import { decodeQueryMessageHeader, encodeQueryMessageResponseHeader } from '../remoting/header/query-message';
import { decodeViewMessageHeader } from '../remoting/header/view-message';
import type { BrokerContext } from './context';

/** QUERY_MESSAGE and VIEW_MESSAGE_BY_ID processors keyed by request code. */
export function queryProcessors(ctx: BrokerContext): Map<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.QUERY_MESSAGE, (req) => {
    const h = decodeQueryMessageHeader(req.extFields);
    // A unique-key query asks for defaultQueryMaxNum; every query is capped at maxMsgsNumBatch (ref §2.3.4).
    const maxNum = Math.min(h.uniqueKeyQuery ? ctx.config.defaultQueryMaxNum : h.maxNum, ctx.config.maxMsgsNumBatch);
    const r = ctx.store.queryMessage(h.topic, h.key, Math.max(1, maxNum), h.beginTimestamp, h.endTimestamp);
    if (r.records.length === 0) {
      return RemotingCommand.createResponse(ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct');
    }
    return RemotingCommand.createResponse(
      ResponseCode.SUCCESS,
      undefined,
      encodeQueryMessageResponseHeader({
        indexLastUpdateTimestamp: r.indexLastUpdateTimestamp,
        indexLastUpdatePhyoffset: r.indexLastUpdatePhyoffset,
      }),
      Buffer.concat(r.records),
    );
  });
  m.set(RequestCode.VIEW_MESSAGE_BY_ID, (req) => {
    const h = decodeViewMessageHeader(req.extFields);
    const rec = h.offset >= 0 ? ctx.store.lookMessageByOffset(h.offset) : null;
    if (!rec) return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${h.offset}`);
    return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, rec);
  });
  return m;
}
