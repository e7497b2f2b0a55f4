/**
 * Requests brokers send to our client (ref §2.1 "server-initiated codes"), as RocketMQ's ClientRemotingProcessor:
 *   RESET_CONSUMER_CLIENT_OFFSET (220, oneway)  header topic, group, timestamp, isForce[, deleteGroup]
 *                                               body ResetOffsetBody {"offsetTable":{<MessageQueue>:<offset>}}
 *     → the `resetOffsets` event with the new offset of each queue; with `deleteGroup=true` (our broker's
 *       notification on DELETE_SUBSCRIPTIONGROUP) the `groupDeleted` event instead.
 *   NOTIFY_CONSUMER_IDS_CHANGED (40, oneway)   → nothing to do (the gateway does no rebalancing).
 * Any other request that expects an answer gets REQUEST_CODE_NOT_SUPPORTED.
 */
import type pino from 'pino';
import { RemotingCommand, RequestCode, ResponseCode, notSupportedRemark } from '../../remoting';
import { mqRows, parseAdminJson } from '../../remoting/body/admin-bodies';

/** What the broker asked the group's clients to do. */
export type AdminEvent =
  | { type: 'resetOffsets'; group: string; topic: string; timestamp: number; offsets: Array<{ brokerName: string; queueId: number; offset: number }> }
  | { type: 'groupDeleted'; group: string };

/** Called for each event; a rejection is logged (the broker does not wait: the requests are oneway). */
export type AdminEventListener = (e: AdminEvent) => void | Promise<void>;

/** Decodes a RESET_CONSUMER_CLIENT_OFFSET request into an event (pure). */
export function decodeResetRequest(req: RemotingCommand): AdminEvent {
  const ext = req.extFields ?? {};
  const group = String(ext.group ?? '');
  if (String(ext.deleteGroup ?? 'false') === 'true') return { type: 'groupDeleted', group };
  const table = req.body ? (parseAdminJson(req.body.toString('utf8')) as { offsetTable?: unknown }).offsetTable : undefined;
  return {
    type: 'resetOffsets',
    group,
    topic: String(ext.topic ?? ''),
    timestamp: Number(ext.timestamp ?? 0),
    offsets: mqRows<number>(table).map(([k, offset]) => ({ brokerName: k.brokerName, queueId: k.queueId, offset: Number(offset) })),
  };
}

/** The handler for the remoting client's server→client requests, calling `listeners` for admin events. */
export function serverRequestHandler(listeners: ReadonlySet<AdminEventListener>, log: pino.Logger) {
  return (req: RemotingCommand, addr: string): RemotingCommand | null => {
    if (req.code === RequestCode.RESET_CONSUMER_CLIENT_OFFSET) {
      let e: AdminEvent;
      try {
        e = decodeResetRequest(req);
      } catch (err) {
        log.warn({ err, peer: addr }, 'bad RESET_CONSUMER_CLIENT_OFFSET request');
        return req.isOneway() ? null : RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, (err as Error).message);
      }
      log.info({ peer: addr, event: e.type, group: e.group }, 'broker admin request');
      for (const l of listeners) {
        Promise.resolve()
          .then(() => l(e))
          .catch((err: unknown) => log.warn({ err, group: e.group, event: e.type }, 'admin event listener failed'));
      }
      return req.isOneway() ? null : RemotingCommand.createResponse(ResponseCode.SUCCESS);
    }
    if (req.isOneway()) return null;
    return RemotingCommand.createResponse(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, notSupportedRemark(req.code));
  };
}
