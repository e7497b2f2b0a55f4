/**
 * PULL_MESSAGE (11) (ref §2.3.3, §9). Checks permission, topic, queue id and subscription (from the request when
 * FLAG_SUBSCRIPTION is set, else from heartbeats), reads from the store with a tags-code filter, and maps the
 * status (status-map.ts). An empty result with FLAG_SUSPEND is held by the PullHoldService, which re-runs it on
 * arrival or timeout. The response body is the stored record bytes, concatenated once. Every answer with the pull
 * header names the log it read (`logId`, log-identity.ts); a slave whose store came from another master refuses.
 * A master's PULL_OFFSET_MOVED is also recorded in topic OFFSET_MOVED_EVENT (offset-moved-event.ts).
 *
 * A pull that carries the extra header field `mqgTransferBytes` (our client, for the gateway: see PullRequest
 * .transferBytes) may be answered beyond the store's per-pull transfer limits: the store is read again from where
 * its answer ended while that answer was full, up to maxMsgNums messages and that many bytes (at most
 * MAX_TRANSFER_BYTES); a read that would pass the bytes is left for the next pull. Without the field the answer is
 * RocketMQ's.
 */
import { RemotingCommand } from '../remoting/command';
import { ResponseCode } from '../remoting/codes';
import type { Channel } from '../remoting';
import { PullSysFlag, decodePullMessageHeader, encodePullMessageResponseHeader } from '../remoting/header/pull-message';
import type { PullMessageRequestHeader } from '../remoting/header/pull-message';
import type { BrokerContext } from './context';
import { MASTER_ID, suggestWhichBrokerId as suggestWhichBrokerId_ } from './ha/slave-read';
import { recordOffsetMoved } from './offset-moved-event';
import type { PullHoldService } from './pull-hold-service';
import { encodeAsStrings } from './send-processor';
import { getStatusToPullCode } from './status-map';
import { buildSubscription, tagsCodeFilter } from './subscription';
import type { SubscriptionData } from './subscription';
import { PERM_READ } from './topic-config-manager';

/** The extra PULL_MESSAGE header field naming the record bytes a pull may bring beyond the store's limits. */
export const TRANSFER_BYTES_FIELD = 'mqgTransferBytes';
/** Most record bytes one answer brings for `mqgTransferBytes` (it is also kept under half of frameMaxLength). */
const MAX_TRANSFER_BYTES = 4 * 1024 * 1024;
/** Most store reads one such answer takes. */
const MAX_TRANSFER_READS = 64;

/** The `mqgTransferBytes` of a request, 0 when absent or not a positive integer. */
function transferBytesOf(ext: Record<string, string> | undefined): number {
  const v = ext?.[TRANSFER_BYTES_FIELD];
  if (v === undefined || !/^\d{1,12}$/.test(v)) return 0;
  return Number(v);
}

type StoreAnswer = Awaited<ReturnType<BrokerContext['store']['getMessage']>>;

/** PULL_MESSAGE; `process` is the remoting Processor, `execute` also re-runs held pulls. */
export class PullProcessor {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly holds: PullHoldService,
  ) {}

  readonly process = (req: RemotingCommand, channel: Channel): RemotingCommand | Promise<RemotingCommand | null> => {
    const h = decodePullMessageHeader(req.extFields);
    return this.execute(h, channel, true, transferBytesOf(req.extFields));
  };

  private fail(code: number, remark: string): RemotingCommand {
    this.ctx.metrics.pulls.inc({ result: 'error' });
    return RemotingCommand.createResponse(code, remark);
  }

  /**
   * Extends a FOUND store answer in place with further reads from where it ended (the store's transfer limits, or
   * the units it scans per read, cut it), up to maxMsgNums messages and maxBytes bytes, until the queue's end or a
   * read that finds nothing. A read whose records would pass maxBytes is dropped (the next pull reads them), so
   * the answer stays exactly what consecutive pulls would have brought.
   */
  private async readOn(h: PullMessageRequestHeader, r: StoreAnswer, maxMsgNums: number, maxBytes: number, filter?: (tagsCode: number) => boolean): Promise<void> {
    const store = this.ctx.store;
    let largest = 0;
    for (const rec of r.records) largest = Math.max(largest, rec.length);
    for (let i = 0; i < MAX_TRANSFER_READS; i++) {
      if (r.messageCount >= maxMsgNums || r.nextBeginOffset >= r.maxOffset) return;
      // Not a read that would likely be dropped: the room left must hold a record as large as the largest so far.
      if (maxBytes - r.bufferTotalSize < largest) return;
      const more = await store.getMessage(h.consumerGroup, h.topic, h.queueId, r.nextBeginOffset, maxMsgNums - r.messageCount, maxBytes - r.bufferTotalSize, filter);
      if (more.status !== 'FOUND' || more.records.length === 0 || r.bufferTotalSize + more.bufferTotalSize > maxBytes) return;
      for (const rec of more.records) {
        r.records.push(rec);
        if (rec.length > largest) largest = rec.length;
      }
      r.messageCount += more.messageCount;
      r.bufferTotalSize += more.bufferTotalSize;
      r.nextBeginOffset = more.nextBeginOffset;
      r.minOffset = more.minOffset;
      r.maxOffset = more.maxOffset;
      r.suggestPullingFromSlave = r.suggestPullingFromSlave || more.suggestPullingFromSlave;
    }
  }

  /**
   * Runs one pull; `allowSuspend` is false when a held pull is re-run. `transferBytes` > 0: the answer may pass the
   * store's per-pull limits up to that many bytes (see the file comment).
   */
  async execute(h: PullMessageRequestHeader, channel: Channel, allowSuspend: boolean, transferBytes = 0): Promise<RemotingCommand | null> {
    const ctx = this.ctx;
    const cfg = ctx.config;
    if ((cfg.brokerPermission & PERM_READ) === 0) {
      return this.fail(ResponseCode.NO_PERMISSION, `the broker[${cfg.brokerName}] pulling message is forbidden`);
    }
    const tc = ctx.topics.get(h.topic);
    if (!tc) return this.fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please!`);
    if ((tc.perm & PERM_READ) === 0) {
      return this.fail(ResponseCode.NO_PERMISSION, `the topic[${h.topic}] pulling message is forbidden`);
    }
    if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
      return this.fail(
        ResponseCode.SYSTEM_ERROR,
        `queueId[${h.queueId}] is illegal, topic:[${h.topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${channel.remoteAddress}]`,
      );
    }
    let sub: SubscriptionData | undefined;
    if ((h.sysFlag & PullSysFlag.SUBSCRIPTION) !== 0) {
      if (h.expressionType !== undefined && h.expressionType !== 'TAG') {
        return this.fail(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `the expression type ${h.expressionType} is not supported, use TAG`);
      }
      sub = buildSubscription(h.topic, h.subscription, h.subVersion);
    } else {
      const group = ctx.consumers.group(h.consumerGroup);
      if (!group) return this.fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist`);
      sub = group.subscriptions.get(h.topic);
      if (!sub) return this.fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist`);
      if (sub.subVersion < h.subVersion) {
        return this.fail(ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest`);
      }
    }
    const refused = ctx.identity.conflict;
    if (refused !== undefined) return this.fail(ResponseCode.SERVICE_NOT_AVAILABLE, refused);
    const filter = tagsCodeFilter(sub);
    const isSlave = cfg.brokerRole === 'SLAVE';
    let code: number;
    let remark: string;
    let nextBeginOffset: number;
    let minOffset: number;
    let maxOffset: number;
    let body: Buffer | undefined;
    let suggestSlave = false;
    if (h.queueOffset < 0) {
      // A negative offset is "too small": point the consumer at the queue's first offset.
      minOffset = ctx.store.getMinOffsetInQueue(h.topic, h.queueId);
      maxOffset = ctx.store.getMaxOffsetInQueue(h.topic, h.queueId);
      code = ResponseCode.PULL_OFFSET_MOVED;
      remark = 'OFFSET_TOO_SMALL';
      nextBeginOffset = minOffset;
    } else {
      const maxMsgNums = Math.max(1, Math.min(h.maxMsgNums, 1024));
      // The store applies its own transfer limits; this only keeps a reply inside one frame.
      const maxBytes = Math.floor(cfg.frameMaxLength / 2);
      const r = await ctx.store.getMessage(h.consumerGroup, h.topic, h.queueId, h.queueOffset, maxMsgNums, maxBytes, filter);
      if (transferBytes > 0 && r.status === 'FOUND') await this.readOn(h, r, maxMsgNums, Math.min(maxBytes, transferBytes, MAX_TRANSFER_BYTES), filter);
      code = getStatusToPullCode(r.status, h.queueOffset);
      remark = r.status;
      nextBeginOffset = r.nextBeginOffset;
      minOffset = r.minOffset;
      maxOffset = r.maxOffset;
      suggestSlave = r.suggestPullingFromSlave;
      if (code === ResponseCode.SUCCESS) {
        // One copy into the frame body (ref §4.9: the records exactly as stored).
        body = r.records.length === 1 ? r.records[0] : (adjacentView(r.records) ?? Buffer.concat(r.records, r.bufferTotalSize));
        ctx.metrics.recordGet(h.topic, h.consumerGroup, r.messageCount, body.length);
      }
    }
    // A slave does not correct offsets unless offsetCheckInSlave (ref §2.3.3): its store may start later or end
    // earlier than the master's, so "out of range" there is no evidence about the log. It answers
    // PULL_RETRY_IMMEDIATELY with the offset unchanged (the remark keeps the store status) and points at the master.
    let slaveRedirect = false;
    if (isSlave && code === ResponseCode.PULL_OFFSET_MOVED && !cfg.offsetCheckInSlave) {
      code = ResponseCode.PULL_RETRY_IMMEDIATELY;
      nextBeginOffset = h.queueOffset;
      slaveRedirect = true;
    } else if (code === ResponseCode.PULL_OFFSET_MOVED) {
      recordOffsetMoved(ctx, {
        consumerGroup: h.consumerGroup,
        topic: h.topic,
        queueId: h.queueId,
        offsetRequest: h.queueOffset,
        offsetNew: nextBeginOffset,
      });
    }
    // Commit the consumer's offset on masters, on the first execution only (ref §2.3.3 bit 0).
    if (allowSuspend && (h.sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 && !isSlave) {
      ctx.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    }
    if (code === ResponseCode.PULL_NOT_FOUND && allowSuspend && (h.sysFlag & PullSysFlag.SUSPEND) !== 0) {
      const holdMs = cfg.longPollingEnable ? h.suspendTimeoutMillis : cfg.shortPollingTimeMills;
      ctx.metrics.pulls.inc({ result: 'held' });
      return new Promise<RemotingCommand | null>((resolve) => {
        this.holds.hold(
          {
            topic: h.topic,
            queueId: h.queueId,
            offset: h.queueOffset,
            filter,
            channel,
            rerun: async () => (await this.execute(h, channel, false, transferBytes)) ?? RemotingCommand.createResponse(ResponseCode.PULL_NOT_FOUND),
            resolve,
          },
          holdMs,
        );
      });
    }
    ctx.metrics.pulls.inc({ result: pullResultLabel(code) });
    const suggestWhichBrokerId = slaveRedirect
      ? MASTER_ID
      : suggestWhichBrokerId_({
          slaveReadEnable: cfg.slaveReadEnable,
          brokerId: cfg.brokerId,
          suggestPullingFromSlave: suggestSlave,
        });
    const res = RemotingCommand.createResponse(code, remark);
    res.extFields = encodeAsStrings(encodePullMessageResponseHeader({
        suggestWhichBrokerId,
        nextBeginOffset,
        minOffset,
        maxOffset,
        logId: ctx.identity.logId(h.topic),
      }),
    );
    if (body) res.body = body;
    return res;
  }
}

/**
 * The records as one view when they lie back to back in one read buffer (consecutive records of a batch, read at
 * once): the frame body without copying them again. Undefined when they do not.
 */
export function adjacentView(records: readonly Buffer[]): Buffer | undefined {
  const first = records[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    if (r.buffer !== first.buffer || r.byteOffset !== end) return undefined;
    end += r.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

function pullResultLabel(code: number): string {
  switch (code) {
    case ResponseCode.SUCCESS:
      return 'found';
    case ResponseCode.PULL_NOT_FOUND:
      return 'not_found';
    case ResponseCode.PULL_RETRY_IMMEDIATELY:
      return 'retry_immediately';
    case ResponseCode.PULL_OFFSET_MOVED:
      return 'offset_moved';
    default:
      return 'error';
  }
}
