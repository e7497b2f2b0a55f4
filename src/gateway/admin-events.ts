/**
 * Operator actions on a consumer group, as the brokers pass them to our client (src/client/admin/server-requests):
 * `mq admin resetOffsetByTime` (and Apache's mqadmin) → RESET_CONSUMER_CLIENT_OFFSET → the gateway moves the
 * group's coord state to the new offsets, so the next get delivers from there (again); `mq admin deleteSubGroup` →
 * the group-deleted notification → the gateway forgets the group's state. The coordinator methods come from
 * src/coord (`resetOffsets`, `deleteGroup`); a coordinator without them logs that the event could not be applied.
 */
import type { Logger } from 'pino';
import type { AdminEvent, MQClient } from '../client';
import type { Coordinator } from '../coord';

/** The coordinator methods the events need (present on the coordinators of src/coord). */
interface GroupAdmin {
  resetOffsets?(group: string, topic: string, offsets: Array<{ brokerName: string; queueId: number; offset: number }>): Promise<unknown>;
  deleteGroup?(group: string): Promise<unknown>;
}

/** Applies one event to coord. */
export async function applyAdminEvent(coord: Coordinator, e: AdminEvent, log: Logger): Promise<void> {
  const c = coord as Coordinator & GroupAdmin;
  if (e.type === 'resetOffsets') {
    if (typeof c.resetOffsets !== 'function') {
      log.warn({ group: e.group, topic: e.topic }, 'reset offset ignored: the coordinator cannot reset offsets');
      return;
    }
    await c.resetOffsets(e.group, e.topic, e.offsets);
    log.info({ group: e.group, topic: e.topic, queues: e.offsets.length, timestamp: e.timestamp }, 'group offsets reset by an operator');
    return;
  }
  if (typeof c.deleteGroup !== 'function') {
    log.warn({ group: e.group }, 'group deletion ignored: the coordinator cannot delete groups');
    return;
  }
  await c.deleteGroup(e.group);
  log.info({ group: e.group }, 'group deleted by an operator');
}

/** Subscribes the gateway's coord to the client's admin events (then `after`); returns the unsubscribe function. */
export function wireAdminEvents(client: MQClient, coord: Coordinator, log: Logger, after?: (e: AdminEvent) => void): () => void {
  return client.onAdminEvent(async (e) => {
    await applyAdminEvent(coord, e, log);
    after?.(e);
  });
}
