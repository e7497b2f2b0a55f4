/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222) (RocketMQ's Broker2Client.resetOffset):
 *   header topic, group, timestamp (ms; -1 = the queue end), isForce
 *   → per queue: the offset of the first message stored at or after `timestamp` (exact; RocketMQ takes the message
 *     nearest in time, which can be the last one before it); unless isForce, a queue is only moved
 *     backwards. The new offsets are committed here (our addition, so that offline groups and the lag metrics follow
 *     at once), then sent to each live client of the group as RESET_CONSUMER_CLIENT_OFFSET (220, oneway, same header,
 *     ResetOffsetBody). Answer: ResetOffsetBody, or CONSUMER_NOT_ONLINE (206) when no client is connected (the
 *     offsets are committed all the same; Apache's mqadmin then falls back to committing them itself).
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';
import { extBool, extLong, extString } from '../remoting/header/fields';
import { encodeResetOffsetBody } from '../remoting/body/admin-bodies';
import type { MqKey } from '../remoting/body/admin-bodies';
import { firstOffsetAtOrAfter } from './offset-by-time';
import type { OpsContext } from './ops-context';

export function processors(ctx: OpsContext): ReadonlyMap<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, async (req) => {
    const topic = extString(req.extFields, 'topic');
    const group = extString(req.extFields, 'group');
    const timestamp = extLong(req.extFields, 'timestamp');
    const isForce = extBool(req.extFields, 'isForce', false) ?? false;
    const tc = ctx.topics.get(topic);
    if (!tc) {
      return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);
    }
    const rows: Array<[MqKey, number]> = [];
    for (let q = 0; q < tc.writeQueueNums; q++) {
      const current = ctx.offsets.query(group, topic, q);
      const max = ctx.store.getMaxOffsetInQueue(topic, q);
      const target = timestamp === -1 ? max : firstOffsetAtOrAfter(ctx.store, topic, q, timestamp);
      const next = isForce || current < 0 || target < current ? target : current;
      rows.push([{ brokerName: ctx.config.brokerName, queueId: q, topic }, next]);
      ctx.offsets.commit(group, topic, q, next);
    }
    await ctx.offsets.flush();
    const body = encodeResetOffsetBody(rows);
    const channels = ctx.consumers.consumerChannels(group);
    ctx.logger.info({ topic, group, timestamp, isForce, clients: channels.length }, 'reset offset');
    if (channels.length === 0) {
      return RemotingCommand.createResponse(
        ResponseCode.CONSUMER_NOT_ONLINE,
        `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`,
      );
    }
    for (const ch of channels) {
      const cmd = RemotingCommand.createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, { topic, group, timestamp, isForce });
      cmd.body = body;
      try {
        ch.send(cmd.markOneway());
      } catch (err) {
        ctx.logger.warn({ err, group }, 'reset offset notification failed');
      }
    }
    return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, body);
  });
  return m;
}
