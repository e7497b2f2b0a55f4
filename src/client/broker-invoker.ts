/**
 * Calls to "the broker set X": finds the address from the cached routes (master, or a slave when allowed and the
 * master is gone, ref §8.5), sends, and turns transport failures and unexpected codes into MqErrors (errors.ts).
 */
import { MqError } from '../common';
import type { RemotingClient, RemotingCommand } from '../remoting';
import { responseError, transportError } from './errors';
import type { ClientOp } from './errors';
import type { RouteCache } from './route/route-cache';
import { MASTER_ID } from './route/topic-route';
import type { BrokerData } from './route/topic-route';

/** `master`: only brokerId 0; `masterOrSlave`: the master, else the lowest slave id. */
export type BrokerMode = 'master' | 'masterOrSlave';

export interface BrokerTarget {
  brokerName: string;
  brokerId: number;
  addr: string;
}

/** Picks an address of a broker set for the mode. */
export function pickBroker(bd: BrokerData, mode: BrokerMode): BrokerTarget | undefined {
  const master = bd.brokerAddrs[MASTER_ID];
  if (master !== undefined) return { brokerName: bd.brokerName, brokerId: MASTER_ID, addr: master };
  if (mode === 'master') return undefined;
  const ids = Object.keys(bd.brokerAddrs)
    .map(Number)
    .sort((a, b) => a - b);
  return ids.length > 0 ? { brokerName: bd.brokerName, brokerId: ids[0], addr: bd.brokerAddrs[ids[0]] } : undefined;
}

export class BrokerInvoker {
  constructor(
    private readonly deps: { remoting: RemotingClient; routes: RouteCache },
    private readonly timeoutMs: number,
  ) {}

  /** The address to use for `brokerName`, looked up in the route of `topic` (fetched when not cached). */
  async target(op: ClientOp, topic: string, brokerName: string, mode: BrokerMode): Promise<BrokerTarget> {
    let bd = this.deps.routes.cached(topic)?.brokers.get(brokerName);
    if (!bd) bd = (await this.deps.routes.get(topic)).brokers.get(brokerName) ?? this.deps.routes.findBroker(brokerName);
    const t = bd && pickBroker(bd, mode);
    if (!t) {
      this.deps.routes.refreshSoon(topic);
      throw new MqError(
        'UNAVAILABLE',
        `${op} ${topic}: broker set ${brokerName} has no ${mode === 'master' ? 'master' : 'live broker'} in the route`,
        { details: { brokerName, topic } },
      );
    }
    return t;
  }

  /**
   * Sends `make()` to the broker set and returns the response when its code is one of `okCodes`; other codes and
   * transport failures become MqErrors.
   */
  async call(
    op: ClientOp,
    topic: string,
    brokerName: string,
    mode: BrokerMode,
    make: () => RemotingCommand,
    okCodes: readonly number[] = [0],
    timeoutMs = this.timeoutMs,
  ): Promise<{ res: RemotingCommand; target: BrokerTarget }> {
    const target = await this.target(op, topic, brokerName, mode);
    return { res: await this.callAddr(op, target, make, okCodes, timeoutMs), target };
  }

  /** Like {@link call} with a known address. */
  async callAddr(
    op: ClientOp,
    target: BrokerTarget,
    make: () => RemotingCommand,
    okCodes: readonly number[] = [0],
    timeoutMs = this.timeoutMs,
  ): Promise<RemotingCommand> {
    const peer = `broker ${target.brokerName}/${target.brokerId} (${target.addr})`;
    let res: RemotingCommand;
    try {
      res = await this.deps.remoting.invokeSync(target.addr, make(), timeoutMs);
    } catch (err) {
      throw transportError(op, peer, err, { brokerName: target.brokerName });
    }
    if (!okCodes.includes(res.code)) throw responseError(op, peer, res, { brokerName: target.brokerName });
    return res;
  }
}
