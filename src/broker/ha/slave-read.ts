/**
 * Which broker a pull response suggests for the next pull of that queue (ref §8.4): a master with slaveReadEnable
 * points consumers that fall behind (the store's suggestPullingFromSlave) at whichBrokerWhenConsumeSlowly (1);
 * otherwise the suggestion is the group's broker id, which is the master (0) as in RocketMQ (the subscription
 * group's `brokerId` defaults to MASTER_ID) — on a slave too, so that a consumer that fell back to a slave returns to
 * the master once it is back in the route, rather than staying on a copy that may start later or lag.
 */

/** brokerId of the master of a set (RocketMQ MixAll.MASTER_ID). */
export const MASTER_ID = 0;
/** RocketMQ's whichBrokerWhenConsumeSlowly default. */
export const WHICH_BROKER_WHEN_CONSUME_SLOWLY = 1;

export function suggestWhichBrokerId(opts: {
  slaveReadEnable: boolean;
  /** This broker's id (0 = master); not what is suggested (the group's broker id, the master, is). */
  brokerId: number;
  /** From the store's GetMessageResult. */
  suggestPullingFromSlave: boolean;
  whichBrokerWhenConsumeSlowly?: number;
}): number {
  if (!opts.slaveReadEnable) return MASTER_ID;
  if (opts.suggestPullingFromSlave) return opts.whichBrokerWhenConsumeSlowly ?? WHICH_BROKER_WHEN_CONSUME_SLOWLY;
  return MASTER_ID;
}
