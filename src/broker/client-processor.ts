/**
 * HEART_BEAT (34) and UNREGISTER_CLIENT (35) (ref §2.3.2, ali-ons notes §2.9): group → client id is recorded
 * BEFORE the reply (ali-ons asks for the consumer list right after), `%RETRY%<group>` is created and registered
 * with the name servers, and group members are told when the member list changes (NOTIFY_CONSUMER_IDS_CHANGED, 40).
 */
import { RemotingCommand } from '../remoting/command';
import { RequestCode, ResponseCode } from '../remoting/codes';
import type { Channel, Processor } from '../remoting';
import { decodeUnregisterClientHeader } from '../remoting/header/unregister-client';
import type { BrokerContext } from './context';
import { decodeHeartbeat } from './heartbeat';
import { retryTopic } from './topic-validator';

/** How long a heartbeat reply waits for the name servers to learn a new retry topic, ms. */
const REGISTER_WAIT_MS = 2000;

/** Tells every member of `group` that its member list changed (oneway; clients never answer). */
export function notifyConsumerIdsChanged(ctx: BrokerContext, group: string): void {
  for (const ch of ctx.consumers.consumerChannels(group)) {
    const cmd = RemotingCommand.createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: group }).markOneway();
    try {
      ch.send(cmd);
    } catch (err) {
      ctx.logger.debug({ err, group }, 'notify consumer ids changed failed');
    }
  }
}

/** HEART_BEAT and UNREGISTER_CLIENT processors keyed by request code. */
export function clientProcessors(ctx: BrokerContext): Map<number, Processor> {
  const m = new Map<number, Processor>();
  m.set(RequestCode.HEART_BEAT, async (req, channel: Channel) => {
    const hb = decodeHeartbeat(req.body);
    let created = false;
    for (const c of hb.consumerDataSet) {
      if (ctx.topics.createIfMissing(retryTopic(c.groupName), ctx.config.retryQueueNums).created) created = true;
      const meta = { language: req.language, version: req.version };
      if (ctx.consumers.registerConsumer(c, hb.clientID, channel, Date.now(), meta)) notifyConsumerIdsChanged(ctx, c.groupName);
    }
    for (const p of hb.producerDataSet) ctx.consumers.registerProducer(p.groupName, hb.clientID, channel);
    if (created) {
      // The consumer asks the name server for %RETRY%<group> right after this reply; make sure it is there.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ctx.registerNow().catch(() => undefined),
        new Promise<void>((r) => (timer = setTimeout(r, REGISTER_WAIT_MS))),
      ]);
      if (timer) clearTimeout(timer);
    }
    return RemotingCommand.createResponse(ResponseCode.SUCCESS);
  });
  m.set(RequestCode.UNREGISTER_CLIENT, (req) => {
    const h = decodeUnregisterClientHeader(req.extFields);
    if (h.producerGroup) ctx.consumers.unregisterProducer(h.producerGroup, h.clientID);
    if (h.consumerGroup && ctx.consumers.unregisterConsumer(h.consumerGroup, h.clientID)) {
      notifyConsumerIdsChanged(ctx, h.consumerGroup);
    }
    return RemotingCommand.createResponse(ResponseCode.SUCCESS);
  });
  return m;
}
