/**
 * Consumer-group administration (AdminBrokerProcessor in RocketMQ 4.9):
 *   UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200)  body SubscriptionGroupConfig JSON  → SUCCESS
 *   GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201)     → SubscriptionGroupWrapper JSON
 *   DELETE_SUBSCRIPTIONGROUP (207)             header groupName[, removeOffset] → SUCCESS
 * Deleting a group also drops its committed offsets and its statistics, and tells the group's live clients with
 * RESET_CONSUMER_CLIENT_OFFSET carrying `deleteGroup=true` and an empty offset table (our extension: RocketMQ has no
 * such notification; its Java client ignores the unknown field and resets nothing). Our client turns it into its
 * group-deleted hook, which the gateway uses to forget the group's state.
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Processor } from '../remoting';
import { extString } from '../remoting/header/fields';
import { parseAdminJson, encodeResetOffsetBody } from '../remoting/body/admin-bodies';
import type { OpsContext } from './ops-context';
import { subscriptionGroupConfig } from './subscription-group-manager';
import type { SubscriptionGroupConfig } from './subscription-group-manager';

const SLAVE_REFUSAL = "Can't modify topic or subscription group from slave broker, please execute it from master broker.";

const res = (code: number, remark?: string, body?: Buffer): RemotingCommand => RemotingCommand.createResponse(code, remark, undefined, body);

/** Tells every live client of `group` that the group was deleted (oneway, best effort). */
export function notifyGroupDeleted(ctx: OpsContext, group: string): number {
  let sent = 0;
  for (const ch of ctx.consumers.consumerChannels(group)) {
    const cmd = RemotingCommand.createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, {
      topic: '',
      group,
      timestamp: Date.now(),
      isForce: true,
      deleteGroup: true,
    });
    cmd.body = encodeResetOffsetBody([]);
    try {
      ch.send(cmd.markOneway());
      sent++;
    } catch (err) {
      ctx.logger.debug({ err, group }, 'group-deleted notification failed');
    }
  }
  return sent;
}

export function processors(ctx: OpsContext): ReadonlyMap<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, async (req) => {
    if (ctx.config.brokerRole === 'SLAVE') return res(ResponseCode.SYSTEM_ERROR, SLAVE_REFUSAL);
    let input: Partial<SubscriptionGroupConfig>;
    try {
      input = parseAdminJson(req.body ? req.body.toString('utf8') : '') as Partial<SubscriptionGroupConfig>;
    } catch (err) {
      return res(ResponseCode.SYSTEM_ERROR, `bad SubscriptionGroupConfig body: ${(err as Error).message}`);
    }
    if (!input || typeof input.groupName !== 'string' || input.groupName === '') {
      return res(ResponseCode.SYSTEM_ERROR, 'SubscriptionGroupConfig needs a groupName');
    }
    ctx.groups.upsert(subscriptionGroupConfig(input.groupName, input));
    await ctx.groups.flush();
    ctx.logger.info({ group: input.groupName }, 'subscription group updated');
    return res(ResponseCode.SUCCESS);
  });
  m.set(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, async () => {
    // Groups seen in heartbeats are recorded on first listing (autoCreateSubscriptionGroup, as RocketMQ does on pull).
    let added = false;
    if (ctx.config.autoCreateSubscriptionGroup) for (const g of ctx.consumers.groupNames()) if (ctx.groups.ensure(g)) added = true;
    if (added) await ctx.groups.flush();
    return res(ResponseCode.SUCCESS, undefined, Buffer.from(JSON.stringify(ctx.groups.serializeWrapper()), 'utf8'));
  });
  m.set(RequestCode.DELETE_SUBSCRIPTIONGROUP, async (req) => {
    if (ctx.config.brokerRole === 'SLAVE') return res(ResponseCode.SYSTEM_ERROR, SLAVE_REFUSAL);
    const group = extString(req.extFields, 'groupName');
    ctx.groups.delete(group);
    // RocketMQ 4.9 keeps offsets unless removeOffset=true; a deleted group's backlog alert would then stay, so we
    // drop them unless the caller says removeOffset=false.
    if (req.extFields?.removeOffset !== 'false') ctx.offsets.removeGroup(group);
    ctx.stats.removeMatching((k) => k.endsWith(`@${group}`));
    const told = notifyGroupDeleted(ctx, group);
    ctx.consumers.removeGroup(group);
    await ctx.groups.flush();
    await ctx.offsets.flush();
    ctx.logger.info({ group, told }, 'subscription group deleted');
    return res(ResponseCode.SUCCESS);
  });
  return m;
}
