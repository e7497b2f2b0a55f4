/**
 * RouteInfoManager: the name server's tables (ref §7.1, §7.2). Pure: no sockets, timers or logging; every method
 * that depends on time takes `now` (ms). Channels are opaque keys supplied by the caller, compared by identity.
 *
 *   topicQueueTable   topic → brokerName → QueueData
 *   brokerAddrTable   brokerName → BrokerData {cluster, brokerName, brokerAddrs: brokerId → addr}
 *   clusterAddrTable  cluster → set of brokerName
 *   brokerLiveTable   brokerAddr → {lastUpdateTimestamp, dataVersion, channel, haServerAddr}
 *   filterServerTable brokerAddr → filter server addresses
 */
import type { DataVersion, TopicConfig } from '../remoting';
import { MASTER_ID, PERM_READ, PERM_WRITE } from './route-types';
import type { BrokerData, ClusterInfo, QueueData, TopicRouteData } from './route-types';

export interface BrokerLiveInfo {
  lastUpdateTimestamp: number;
  dataVersion: DataVersion;
  /** The connection the broker registered over (dropping it drops the broker). */
  channel: unknown;
  haServerAddr: string;
}

export interface RegisterBrokerInput {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  /** The master's topic table and its version; slaves' tables are ignored (ref §3.3). */
  topicConfigTable?: Record<string, TopicConfig>;
  dataVersion?: DataVersion;
  filterServerList?: string[];
  channel?: unknown;
}

export interface RegisterBrokerResult {
  /** Set for a slave whose master is live: the master's HA address and main address. */
  haServerAddr?: string;
  masterAddr?: string;
  /** True when this address was not live before. */
  newBroker: boolean;
  /**
   * Set when the registration was refused and nothing changed: another address is live for this brokerName and
   * brokerId (a second broker claiming a live broker's place), until that one expires or unregisters.
   */
  refusedLiveAddr?: string;
}

/** What was removed when a broker went away (for logs). */
export interface BrokerRemoval {
  brokerAddr: string;
  channel: unknown;
  reason: string;
}

function sameVersion(a: DataVersion | undefined, b: DataVersion | undefined): boolean {
  return a !== undefined && b !== undefined && a.timestamp === b.timestamp && a.counter === b.counter;
}

function sameQueueData(a: QueueData, b: QueueData): boolean {
  return (
    a.brokerName === b.brokerName &&
    a.perm === b.perm &&
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.topicSysFlag === b.topicSysFlag
  );
}

export class RouteInfoManager {
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrTable = new Map<string, { cluster: string; brokerName: string; brokerAddrs: Map<number, string> }>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo>();
  private readonly filterServerTable = new Map<string, string[]>();

  /** Registers (or refreshes) a broker (ref §7.1, Java `registerBroker`). */
  registerBroker(input: RegisterBrokerInput, now: number, expiredMs = Number.POSITIVE_INFINITY): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId } = input;
    // A live broker keeps its place: another address for the same brokerName/brokerId is refused until the live one
    // expires (no registration for expiredMs), unregisters or drops its connection.
    const current = this.brokerAddrTable.get(brokerName)?.brokerAddrs.get(brokerId);
    if (current !== undefined && current !== brokerAddr) {
      const live = this.brokerLiveTable.get(current);
      if (live && now - live.lastUpdateTimestamp <= expiredMs) return { newBroker: false, refusedLiveAddr: current };
    }
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let registerFirst = false;
    let bd = this.brokerAddrTable.get(brokerName);
    if (!bd) {
      registerFirst = true;
      bd = { cluster: clusterName, brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(brokerName, bd);
    }
    // The same address under another id (a slave promoted to master): drop the old id first (ref §7.1).
    for (const [id, addr] of bd.brokerAddrs) if (addr === brokerAddr && id !== brokerId) bd.brokerAddrs.delete(id);
    const oldAddr = bd.brokerAddrs.get(brokerId);
    bd.brokerAddrs.set(brokerId, brokerAddr);
    registerFirst = registerFirst || oldAddr === undefined;

    const dataVersion = input.dataVersion ?? { timestamp: 0, counter: 0 };
    // Only a master's table is applied, and only when new or changed (ref §3.3).
    if (input.topicConfigTable && brokerId === MASTER_ID) {
      if (registerFirst || this.isBrokerTopicConfigChanged(brokerAddr, dataVersion)) {
        for (const tc of Object.values(input.topicConfigTable)) this.createAndUpdateQueueData(brokerName, tc);
      }
    }

    const prev = this.brokerLiveTable.get(brokerAddr);
    this.brokerLiveTable.set(brokerAddr, {
      lastUpdateTimestamp: now,
      dataVersion: { ...dataVersion },
      channel: input.channel,
      haServerAddr: input.haServerAddr,
    });
    if (input.filterServerList) {
      if (input.filterServerList.length === 0) this.filterServerTable.delete(brokerAddr);
      else this.filterServerTable.set(brokerAddr, [...input.filterServerList]);
    }

    const result: RegisterBrokerResult = { newBroker: prev === undefined };
    if (brokerId !== MASTER_ID) {
      const masterAddr = bd.brokerAddrs.get(MASTER_ID);
      const masterLive = masterAddr === undefined ? undefined : this.brokerLiveTable.get(masterAddr);
      if (masterAddr !== undefined && masterLive) {
        result.haServerAddr = masterLive.haServerAddr;
        result.masterAddr = masterAddr;
      }
    }
    return result;
  }

  /** True when `dataVersion` differs from what `brokerAddr` last registered (or it is not live). */
  isBrokerTopicConfigChanged(brokerAddr: string, dataVersion: DataVersion): boolean {
    return !sameVersion(this.brokerLiveTable.get(brokerAddr)?.dataVersion, dataVersion);
  }

  /** The stored DataVersion of a live broker. */
  queryBrokerTopicConfig(brokerAddr: string): DataVersion | undefined {
    const v = this.brokerLiveTable.get(brokerAddr)?.dataVersion;
    return v ? { ...v } : undefined;
  }

  /** Refreshes the liveness timestamp (QUERY_DATA_VERSION with an unchanged version). */
  updateBrokerInfoUpdateTimestamp(brokerAddr: string, now: number): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live) live.lastUpdateTimestamp = now;
  }

  private createAndUpdateQueueData(brokerName: string, tc: TopicConfig): void {
    const qd: QueueData = {
      brokerName,
      perm: tc.perm,
      readQueueNums: tc.readQueueNums,
      topicSysFlag: tc.topicSysFlag,
      writeQueueNums: tc.writeQueueNums,
    };
    let map = this.topicQueueTable.get(tc.topicName);
    if (!map) this.topicQueueTable.set(tc.topicName, (map = new Map()));
    const old = map.get(brokerName);
    if (!old || !sameQueueData(old, qd)) map.set(brokerName, qd);
  }

  /** UNREGISTER_BROKER (ref §7.2): removes one address; the broker name goes once it has no addresses left. */
  unregisterBroker(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const bd = this.brokerAddrTable.get(brokerName);
    if (!bd) return;
    bd.brokerAddrs.delete(brokerId);
    if (bd.brokerAddrs.size > 0) return;
    this.brokerAddrTable.delete(brokerName);
    const names = this.clusterAddrTable.get(clusterName);
    if (names) {
      names.delete(brokerName);
      if (names.size === 0) this.clusterAddrTable.delete(clusterName);
    }
    this.removeTopicByBrokerName(brokerName);
  }

  private removeTopicByBrokerName(brokerName: string): void {
    for (const [topic, map] of this.topicQueueTable) {
      map.delete(brokerName);
      if (map.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  /** The route of `topic`, or undefined unless it has queue data and at least one broker (ref §3.2). */
  pickupTopicRouteData(topic: string): TopicRouteData | undefined {
    const map = this.topicQueueTable.get(topic);
    if (!map || map.size === 0) return undefined;
    const queueDatas = [...map.values()].map((q) => ({ ...q }));
    const brokerDatas: BrokerData[] = [];
    const filterServerTable: Record<string, string[]> = {};
    for (const name of map.keys()) {
      const bd = this.brokerAddrTable.get(name);
      if (!bd) continue;
      const data = this.toBrokerData(bd);
      brokerDatas.push(data);
      for (const addr of Object.values(data.brokerAddrs)) {
        const fs = this.filterServerTable.get(addr);
        if (fs) filterServerTable[addr] = [...fs];
      }
    }
    if (brokerDatas.length === 0) return undefined;
    return { brokerDatas, filterServerTable, queueDatas };
  }

  private toBrokerData(bd: { cluster: string; brokerName: string; brokerAddrs: Map<number, string> }): BrokerData {
    const brokerAddrs: Record<string, string> = {};
    for (const id of [...bd.brokerAddrs.keys()].sort((a, b) => a - b)) brokerAddrs[String(id)] = bd.brokerAddrs.get(id) as string;
    return { brokerAddrs, brokerName: bd.brokerName, cluster: bd.cluster };
  }

  /** WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER (ref §2.3.1); returns the number of topics touched. */
  operateWritePermOfBroker(brokerName: string, op: 'wipe' | 'add'): number {
    let count = 0;
    for (const map of this.topicQueueTable.values()) {
      const qd = map.get(brokerName);
      if (!qd) continue;
      qd.perm = op === 'wipe' ? qd.perm & ~PERM_WRITE : PERM_READ | PERM_WRITE;
      count++;
    }
    return count;
  }

  /** DELETE_TOPIC_IN_NAMESRV: the whole topic, or only the brokers of `clusterName`. */
  deleteTopic(topic: string, clusterName?: string): void {
    if (clusterName === undefined || clusterName === '') {
      this.topicQueueTable.delete(topic);
      return;
    }
    const map = this.topicQueueTable.get(topic);
    const names = this.clusterAddrTable.get(clusterName);
    if (!map || !names) return;
    for (const name of names) map.delete(name);
    if (map.size === 0) this.topicQueueTable.delete(topic);
  }

  getAllTopicList(): string[] {
    return [...this.topicQueueTable.keys()];
  }

  /** Topics served by at least one broker name of `cluster`. */
  getTopicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (!names) return [];
    const out: string[] = [];
    for (const [topic, map] of this.topicQueueTable) {
      for (const name of names) {
        if (map.has(name)) {
          out.push(topic);
          break;
        }
      }
    }
    return out;
  }

  getAllClusterInfo(): ClusterInfo {
    const brokerAddrTable: Record<string, BrokerData> = {};
    for (const [name, bd] of this.brokerAddrTable) brokerAddrTable[name] = this.toBrokerData(bd);
    const clusterAddrTable: Record<string, string[]> = {};
    for (const [c, names] of this.clusterAddrTable) clusterAddrTable[c] = [...names];
    return { brokerAddrTable, clusterAddrTable };
  }

  /**
   * Drops brokers whose last registration is older than `expiredMs` (ref §7.2 `scanNotActiveBroker`). Returns what
   * was removed so the caller can close the channels and log.
   */
  scanNotActiveBroker(now: number, expiredMs: number): BrokerRemoval[] {
    const removed: BrokerRemoval[] = [];
    for (const [addr, live] of [...this.brokerLiveTable]) {
      if (live.lastUpdateTimestamp + expiredMs < now) {
        removed.push({ brokerAddr: addr, channel: live.channel, reason: 'expired' });
        this.removeBrokerAddr(addr);
      }
    }
    return removed;
  }

  /**
   * A connection closed, failed or went idle (ref §7.2 `onChannelDestroy`): removes the broker that registered over
   * `channel`, or, when none did, the broker whose address is `remoteAddr`. Returns what was removed.
   */
  onChannelDestroy(channel: unknown, remoteAddr?: string): BrokerRemoval[] {
    const removed: BrokerRemoval[] = [];
    for (const [addr, live] of [...this.brokerLiveTable]) {
      if (channel !== undefined && live.channel === channel) {
        removed.push({ brokerAddr: addr, channel, reason: 'channel closed' });
        this.removeBrokerAddr(addr);
      }
    }
    if (removed.length === 0 && remoteAddr !== undefined && this.brokerLiveTable.has(remoteAddr)) {
      removed.push({ brokerAddr: remoteAddr, channel, reason: 'channel closed' });
      this.removeBrokerAddr(remoteAddr);
    }
    return removed;
  }

  /** Removes one broker address everywhere; broker names and topics left empty go too (ref §7.2). */
  private removeBrokerAddr(brokerAddr: string): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const emptied: string[] = [];
    for (const [name, bd] of this.brokerAddrTable) {
      for (const [id, addr] of bd.brokerAddrs) if (addr === brokerAddr) bd.brokerAddrs.delete(id);
      if (bd.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(name);
        emptied.push(name);
      }
    }
    for (const name of emptied) {
      for (const [cluster, names] of this.clusterAddrTable) {
        names.delete(name);
        if (names.size === 0) this.clusterAddrTable.delete(cluster);
      }
      this.removeTopicByBrokerName(name);
    }
  }

  /** Number of live broker addresses (a metric). */
  liveBrokerCount(): number {
    return this.brokerLiveTable.size;
  }

  /** Number of topics with routes (a metric). */
  topicCount(): number {
    return this.topicQueueTable.size;
  }

  /** A copy of a broker's liveness entry (for tests and admin). */
  brokerLiveInfo(brokerAddr: string): BrokerLiveInfo | undefined {
    const v = this.brokerLiveTable.get(brokerAddr);
    return v ? { ...v, dataVersion: { ...v.dataVersion } } : undefined;
  }
}
