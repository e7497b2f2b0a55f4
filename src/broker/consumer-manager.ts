/**
 * ConsumerManager / producer registry: which client ids of which groups are live on which connection, and the
 * subscriptions learned from HEART_BEAT (ref §2.3.2, §3.5). Entries are connection-scoped: a closed connection
 * removes its clients at once. Pure tables; the caller notifies clients when a group's membership changes.
 */
import type { ConsumerData } from './heartbeat';
import type { SubscriptionData } from './subscription';

/** The part of a remoting Channel this manager needs. */
export interface ClientChannel {
  id: string;
  remoteAddress: string;
  closed: boolean;
}

interface ClientEntry<C extends ClientChannel> {
  clientId: string;
  channel: C;
  lastUpdate: number;
  /** Language and version of the client's heartbeat (GET_CONSUMER_CONNECTION_LIST shows them). */
  language?: string;
  version?: number;
}

/** A consumer group as heartbeats describe it: live members and subscriptions by topic. */
export interface ConsumerGroupInfo<C extends ClientChannel> {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  clients: Map<string, ClientEntry<C>>;
  subscriptions: Map<string, SubscriptionData>;
}

/** Consumer groups and producer groups by client id; generic over the channel type so tests can use plain objects. */
export class ConsumerManager<C extends ClientChannel = ClientChannel> {
  private readonly groups = new Map<string, ConsumerGroupInfo<C>>();
  private readonly producers = new Map<string, Map<string, ClientEntry<C>>>();

  /**
   * Records a consumer group member and its subscriptions. Returns true when the group's client id list changed
   * (the caller then sends NOTIFY_CONSUMER_IDS_CHANGED).
   */
  registerConsumer(
    data: ConsumerData,
    clientId: string,
    channel: C,
    now = Date.now(),
    meta: { language?: string; version?: number } = {},
  ): boolean {
    let g = this.groups.get(data.groupName);
    if (!g) {
      g = {
        groupName: data.groupName,
        consumeType: data.consumeType,
        messageModel: data.messageModel,
        consumeFromWhere: data.consumeFromWhere,
        clients: new Map(),
        subscriptions: new Map(),
      };
      this.groups.set(data.groupName, g);
    }
    g.consumeType = data.consumeType;
    g.messageModel = data.messageModel;
    g.consumeFromWhere = data.consumeFromWhere;
    const prev = g.clients.get(clientId);
    const changed = !prev || prev.channel.id !== channel.id;
    g.clients.set(clientId, { clientId, channel, lastUpdate: now, language: meta.language, version: meta.version });
    for (const sub of data.subscriptionDataSet) {
      const old = g.subscriptions.get(sub.topic);
      if (!old || old.subVersion <= sub.subVersion || old.subString !== sub.subString) g.subscriptions.set(sub.topic, sub);
    }
    return changed;
  }

  registerProducer(group: string, clientId: string, channel: C, now = Date.now()): void {
    let m = this.producers.get(group);
    if (!m) this.producers.set(group, (m = new Map()));
    m.set(clientId, { clientId, channel, lastUpdate: now });
  }

  /** Removes a consumer; returns true when it was a member. */
  unregisterConsumer(group: string, clientId: string): boolean {
    const g = this.groups.get(group);
    if (!g || !g.clients.delete(clientId)) return false;
    return true;
  }

  unregisterProducer(group: string, clientId: string): void {
    this.producers.get(group)?.delete(clientId);
  }

  /** Drops every registration made over a closed connection; returns the consumer groups that changed. */
  channelClosed(channelId: string): string[] {
    const changed: string[] = [];
    for (const g of this.groups.values()) {
      for (const [cid, e] of g.clients) {
        if (e.channel.id === channelId) {
          g.clients.delete(cid);
          if (!changed.includes(g.groupName)) changed.push(g.groupName);
        }
      }
    }
    for (const m of this.producers.values()) for (const [cid, e] of m) if (e.channel.id === channelId) m.delete(cid);
    return changed;
  }

  /** Live client ids of a group, oldest registration first. */
  consumerIds(group: string): string[] {
    const g = this.groups.get(group);
    return g ? [...g.clients.values()].filter((e) => !e.channel.closed).map((e) => e.clientId) : [];
  }

  /** Channels of a group's live members (for NOTIFY_CONSUMER_IDS_CHANGED). */
  consumerChannels(group: string): C[] {
    const g = this.groups.get(group);
    return g ? [...g.clients.values()].filter((e) => !e.channel.closed).map((e) => e.channel) : [];
  }

  /** Live members of a group with their connection (GET_CONSUMER_CONNECTION_LIST). */
  consumerEntries(group: string): Array<ClientEntry<C>> {
    const g = this.groups.get(group);
    return g ? [...g.clients.values()].filter((e) => !e.channel.closed) : [];
  }

  /** Forgets a group entirely (DELETE_SUBSCRIPTIONGROUP). */
  removeGroup(group: string): void {
    this.groups.delete(group);
  }

  group(group: string): ConsumerGroupInfo<C> | undefined {
    return this.groups.get(group);
  }

  /** The subscription of a group for a topic, as learned from heartbeats. */
  subscription(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptions.get(topic);
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  counts(): { consumerGroups: number; consumers: number; producerGroups: number; producers: number } {
    let consumers = 0;
    for (const g of this.groups.values()) consumers += g.clients.size;
    let producers = 0;
    for (const m of this.producers.values()) producers += m.size;
    return { consumerGroups: this.groups.size, consumers, producerGroups: this.producers.size, producers };
  }
}
