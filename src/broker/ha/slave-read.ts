/**
 * Which broker a pull response suggests for the next pull of that queue (ref §8.4): a master with slaveReadEnable
 * points consumers that fall behind (the store's suggestPullingFromSlave) at whichBrokerWhenConsumeSlowly (1);
 * otherwise, and on a slave whose slaveReadEnable is off, the suggestion is the master (0).
 */

/** brokerId of the master of a set (RocketMQ MixAll.MASTER_ID). */
export const MASTER_ID = 0;
/** RocketMQ's whichBrokerWhenConsumeSlowly default. */
export const WHICH_BROKER_WHEN_CONSUME_SLOWLY = 1;

export function suggestWhichBrokerId(opts: {
  slaveReadEnable: boolean;
  /** This broker's id (0 = master). */
  brokerId: number;
  /** From the store's GetMessageResult. */
  suggestPullingFromSlave: boolean;
  whichBrokerWhenConsumeSlowly?: number;
}): number {
  if (!opts.slaveReadEnable) return MASTER_ID;
  if (opts.suggestPullingFromSlave) return opts.whichBrokerWhenConsumeSlowly ?? WHICH_BROKER_WHEN_CONSUME_SLOWLY;
  return opts.brokerId;
}
