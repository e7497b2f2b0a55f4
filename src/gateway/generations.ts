/**
 * Cluster generations (blue/green through the name servers' DNS name or address server).
 *
 * The gateway resolves one name-server source. When its answer moves to *another cluster* (no name server in common
 * with the newest generation, and a different set of broker addresses), a new generation opens with its own RocketMQ
 * client, reader and offset writer:
 *  - sends go only to the newest generation;
 *  - gets read the older generations first ("draining"), oldest first, without waiting on them, then the newest one
 *    with the caller's wait; a group is drained on a generation once its backlog there is zero in two checks in a
 *    row: every queue of every topic it read, `%RETRY%<group>`, and the delayed messages of SCHEDULE_TOPIC_XXXX that
 *    the generation's schedule service has not delivered yet and whose REAL_TOPIC is one of those topics (they
 *    become due there later); once every known group is drained, the generation's client is closed;
 *  - a lease of a draining generation that goes to the DLQ goes to the newest generation's `%DLQ%<group>` (a copy
 *    sent to its `%RETRY%<group>` with reconsumeTimes = maxReconsumeTimes, which the broker turns into the DLQ), so
 *    that nothing is stranded on the old cluster;
 *  - an old generation whose name servers answer TOPIC_NOT_EXIST while the newest has routes is skipped (#2090);
 *  - each generation keeps its own coord state. Its identity (`id`, and `tag`, the prefix `<tag>#` of its coord queue
 *    keys) comes from the shared registry in coord (Redis hash `<prefix>:generations`): a cluster is the registered
 *    generation that shares a name server or a broker address with it, else a new entry (`id` = the highest + 1,
 *    `tag` = hash of its sorted name servers; the very first cluster gets the plain keys, tag ''). Replicas and
 *    restarted processes therefore use the same keys for the same cluster, and a process started while an older
 *    generation still drains (no `drainedAt` in the registry) opens it and drains it too. A new generation's state
 *    starts empty: each group starts there at the broker's committed offset, else at the oldest retained message
 *    (README "Delivery guarantees" rule 2);
 *  - an operator offset reset (RESET_CONSUMER_CLIENT_OFFSET) arrives on the client of the cluster it was made on and
 *    applies to that generation's keys; a reset by time is applied to every other open generation too, at the
 *    offsets of that time in its own logs.
 * A change that keeps a name server, or that reaches the same brokers, only updates the newest client's list.
 */
import { createHash } from 'crypto';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { MqError } from '../common';
import { PROP } from '../common/message';
import { MQClient, MutableAddressProvider } from '../client';
import type { NameServerAddressProvider, PulledMessage } from '../client';
import type { Coordinator, QueueRef } from '../coord';
import type { Delivery, GroupReader, ReadRequest } from './group-reader';
import { METRIC } from '../metrics';
import { queueKeyOf } from './queue-cursor';
import { userProperties } from './validate';

/** One cluster generation as the gateway uses it. */
export interface Generation {
  /** Stable across replicas and restarts (the shared registry's id). */
  readonly id: number;
  /** Prefix of its coord queue keys ('' for the first cluster the registry saw). */
  readonly tag: string;
  readonly nameServers: string[];
  readonly openedAt: number;
  readonly client: MQClient;
  readonly provider: MutableAddressProvider;
  /** Set by the builder: the generation's reader and its stop hook (offset writer, client). */
  reader?: GroupReader;
  flush?: () => Promise<void>;
  close?: () => Promise<void>;
  state: 'active' | 'draining' | 'drained';
  /** group → drain progress on this generation (draining generations only). */
  readonly drain: Map<string, GroupDrain>;
  /** When the last send went to this generation (ms since the epoch; 0 = none). */
  lastSendAt: number;
  drainedAt: number;
  /** When a newer generation took over its sends (0 = still the newest). */
  supersededAt: number;
  /** An old generation's name servers answered TOPIC_NOT_EXIST for a topic the newest one routes. */
  noRoutes: boolean;
}

export interface GroupDrain {
  backlog: number;
  /** Backlog of `%RETRY%<group>` included in backlog. */
  retryBacklog: number;
  /** Delayed messages (SCHEDULE_TOPIC_XXXX, not delivered yet) bound for the group's topics, included in backlog. */
  delayBacklog: number;
  drained: boolean;
  checkedAt: number;
  drainedAt: number;
  error?: string;
}

/** One entry of the shared generation registry (coord `generations*`), JSON. */
export interface GenerationRecord {
  id: number;
  tag: string;
  nameServers: string[];
  /** Broker addresses of the cluster when it was registered (identity with name servers replaced). */
  brokers: string[];
  openedAt: number;
  /** Set by the first gateway that found it drained for every group. */
  drainedAt?: number;
}

/** Builds a generation's reader and offset writer (the controller's wiring). */
export type GenerationBuilder = (g: Generation, coord: Coordinator) => { reader: GroupReader; flush: () => Promise<void>; close: () => Promise<void> };

/** How often draining generations are checked, ms. */
const DRAIN_CHECK_MS = 1000;

/** The delay-level topic of RocketMQ brokers (queue id = delay level - 1). */
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

/** Delayed messages read per schedule queue and drain check; more still pending count against every group. */
const DELAY_SCAN_LIMIT = 4096;

/** Coord queue keys of a later generation carry this separator (not allowed in RocketMQ names). */
export const GENERATION_KEY_SEPARATOR = '#';

/** A coordinator view that keeps one generation's states apart from the others'. */
export function taggedCoordinator(base: Coordinator, tag: string): Coordinator {
  const map = (q: QueueRef): QueueRef => (tag === '' ? q : { group: q.group, topic: q.topic, queueKey: `${tag}${GENERATION_KEY_SEPARATOR}${q.queueKey}` });
  const prefix = tag === '' ? '' : `${tag}${GENERATION_KEY_SEPARATOR}`;
  return {
    kind: base.kind,
    claim: (q, r) => base.claim(map(q), r),
    trim: (q, l, e, d) => base.trim(map(q), l, e, d),
    ack: (q, i, o) => base.ack(map(q), i, o),
    reclaimExpired: (q, r) => base.reclaimExpired(map(q), r),
    seed: (q, o, s) => base.seed(map(q), o, s),
    // Queue keys are `<brokerName>:<queueId>`: the tag goes in front of the broker name.
    resetOffsets: (g, t, o) => base.resetOffsets(g, t, tag === '' ? o : o.map((r) => ({ ...r, brokerName: `${prefix}${r.brokerName}` }))),
    deleteGroup: (g) => base.deleteGroup(g),
    acquireFlush: (g, o, t) => base.acquireFlush(tag === '' ? g : `${g}${GENERATION_KEY_SEPARATOR}${tag}`, o, t),
    inspect: (q) => base.inspect(map(q)),
    committedOffsets: async (g) =>
      (await base.committedOffsets(g))
        .filter((c) => (tag === '' ? !c.queueKey.includes(GENERATION_KEY_SEPARATOR) : c.queueKey.startsWith(prefix)))
        .map((c) => (tag === '' ? c : { ...c, queueKey: c.queueKey.slice(prefix.length) })),
    groups: () => base.groups(),
    // The base coordinator belongs to the controller.
    close: () => Promise.resolve(),
  };
}

/** The registry field of a generation. */
function fieldOf(tag: string): string {
  return tag === '' ? '-' : tag;
}

/** The registered generation a cluster (name servers, broker addresses) is, if any: the newest that shares one. */
export function matchGeneration(records: readonly GenerationRecord[], nameServers: readonly string[], brokers: readonly string[]): GenerationRecord | undefined {
  let best: GenerationRecord | undefined;
  for (const r of records) {
    const same = r.nameServers.some((a) => nameServers.includes(a)) || r.brokers.some((b) => brokers.includes(b));
    if (same && (!best || r.id > best.id)) best = r;
  }
  return best;
}

/** The tag of a new registry entry: '' for the first cluster, else a hash of its sorted name servers. */
export function tagFor(records: readonly GenerationRecord[], nameServers: readonly string[]): string {
  if (records.length === 0) return '';
  return `g${createHash('sha256').update([...nameServers].sort().join(';')).digest('hex').slice(0, 8)}`;
}

export interface GenerationManagerDeps {
  /** The gateway's name-server source (DNS, address server, static). */
  source: NameServerAddressProvider;
  coord: Coordinator;
  /** Creates a generation's client (the controller passes its client options). */
  newClient: (provider: MutableAddressProvider) => MQClient;
  build: GenerationBuilder;
  logger: Logger;
  registry?: Registry;
  /** A generation counts as drained only this long after its last send and after it was superseded, ms (sends in flight). */
  sendGraceMs: number;
  /** The first generation's client when the controller made it already (its provider must be a MutableAddressProvider). */
  first?: { client: MQClient; provider: MutableAddressProvider };
}

export class GenerationManager {
  private readonly gens: Generation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;
  /** group → topics this gateway read for it. */
  private readonly groupTopics = new Map<string, Set<string>>();
  private readonly infoGauge: Gauge;
  private readonly backlogGauge: Gauge;
  private readonly delayGauge: Gauge;
  /** The registry when coord has none (one process). */
  private readonly localRegistry = new Map<string, string>();
  private changeChain: Promise<void> = Promise.resolve();
  private readonly onChange = (addresses: string[]): void => {
    this.changeChain = this.changeChain.then(() => this.handleChange(addresses)).catch((err: unknown) => this.deps.logger.error({ err }, 'name-server change failed'));
  };

  constructor(private readonly deps: GenerationManagerDeps) {
    const registers = deps.registry ? [deps.registry] : [];
    this.infoGauge = new Gauge({
      name: METRIC.gatewayGenerationInfo,
      help: 'Cluster generations of the gateway (1 per generation): state active, draining or drained',
      labelNames: ['generation', 'state', 'name_servers'],
      registers,
    });
    this.backlogGauge = new Gauge({
      name: METRIC.gatewayDrainBacklog,
      help: 'Messages of a group not yet consumed on a draining generation (topic queues + %RETRY%<group> + delayed messages bound for them)',
      labelNames: ['group', 'generation'],
      registers,
    });
    this.delayGauge = new Gauge({
      name: METRIC.gatewayDrainDelayed,
      help: 'Delayed messages (SCHEDULE_TOPIC_XXXX, not yet due) on a draining generation bound for the group (part of mq_gateway_drain_backlog)',
      labelNames: ['group', 'generation'],
      registers,
    });
  }

  /**
   * Opens the generation of the source's current answer (and, first, every older registered generation that is not
   * drained yet: a restart mid-drain keeps draining) and follows the source's changes.
   */
  async start(): Promise<void> {
    await this.deps.source.start();
    const first = this.deps.first;
    const provider = first?.provider ?? new MutableAddressProvider(this.deps.source.current());
    provider.set(this.deps.source.current());
    const client = first?.client ?? this.deps.newClient(provider);
    await client.start();
    const rec = await this.identify(provider.current(), client);
    for (const old of (await this.records()).filter((r) => r.id < rec.id && r.drainedAt === undefined).sort((a, b) => a.id - b.id)) {
      const p = new MutableAddressProvider(old.nameServers);
      const c = this.deps.newClient(p);
      await c.start();
      const g = this.open(p, c, old);
      g.state = 'draining';
      g.supersededAt = Date.now();
      this.finish(g);
      this.deps.logger.warn({ generation: g.id, nameServers: old.nameServers }, 'an older generation is still draining (registry): draining it too');
    }
    this.finish(this.open(provider, client, rec));
    this.deps.source.on('change', this.onChange);
    this.timer = setInterval(() => void this.checkDrains(), DRAIN_CHECK_MS);
    this.timer.unref();
  }

  /** The generation sends go to. */
  get newest(): Generation {
    const g = this.gens[this.gens.length - 1];
    if (!g) throw new MqError('UNAVAILABLE', 'gateway: no cluster generation yet');
    return g;
  }

  /** The newest generation's client, marked as used for a send. */
  sendClient(): MQClient {
    const g = this.newest;
    g.lastSendAt = Date.now();
    return g.client;
  }

  /**
   * Reads for a get: each draining generation that is not drained for the group (oldest first, no wait), then the
   * newest generation with the caller's wait. Deliveries of a later generation carry its tagged queue key (receipts
   * then ack the right state).
   */
  async read(req: ReadRequest): Promise<Delivery[]> {
    let topics = this.groupTopics.get(req.group);
    if (!topics) this.groupTopics.set(req.group, (topics = new Set()));
    topics.add(req.topic);
    const newest = this.newest;
    for (const g of this.gens) {
      if (g === newest || g.state !== 'draining' || !g.reader) continue;
      if (g.drain.get(req.group)?.drained) continue;
      try {
        const out = await g.reader.read({ ...req, waitMs: 0 });
        if (out.length > 0) return this.tagged(g, out);
      } catch (err) {
        if (MqError.is(err) && (err.code === 'TOPIC_NOT_FOUND' || err.code === 'UNAVAILABLE')) {
          // A name server with no routes (or gone) must not stop gets while the newest generation serves (#2090).
          g.noRoutes = err.code === 'TOPIC_NOT_FOUND';
          this.deps.logger.debug({ generation: g.id, group: req.group, err: err.message }, 'draining generation not readable; skipped');
          continue;
        }
        throw err;
      }
    }
    if (!newest.reader) throw new MqError('UNAVAILABLE', 'gateway: generation not ready');
    return this.tagged(newest, await newest.reader.read(req));
  }

  private tagged(g: Generation, out: Delivery[]): Delivery[] {
    if (g.tag === '') return out;
    for (const d of out) d.queueKey = `${g.tag}${GENERATION_KEY_SEPARATOR}${d.queueKey}`;
    return out;
  }

  /**
   * Moves messages of generation `g` that reached maxReconsumeTimes to the newest generation's `%DLQ%<group>`: a
   * copy goes to its `%RETRY%<group>` with reconsumeTimes = maxReconsumeTimes (the broker then stores it in the DLQ,
   * as for Apache RocketMQ's client-side send-back). Resolves false (nothing done) when `g` is the newest: its
   * broker moves them itself (CONSUMER_SEND_MSG_BACK). Rejects when a copy could not be stored (the lease stays).
   */
  async sendToNewestDlq(g: Generation, group: string, topic: string, messages: readonly PulledMessage[], maxReconsumeTimes: number): Promise<boolean> {
    const newest = this.newest;
    if (g === newest || messages.length === 0) return false;
    const retry = `%RETRY%${group}`;
    const copies = messages.map((m) => ({
      body: m.body,
      tags: m.tags,
      keys: m.keys,
      flag: m.flag,
      properties: {
        ...userProperties(m.properties),
        [PROP.RETRY_TOPIC]: m.properties[PROP.RETRY_TOPIC] ?? topic,
        [PROP.ORIGIN_MESSAGE_ID]: m.properties[PROP.ORIGIN_MESSAGE_ID] ?? m.msgId,
      },
    }));
    // One message per send: brokers refuse batches to retry topics.
    const sendOne = async (m: (typeof copies)[number]): Promise<void> => {
      const [r] = await newest.client.send(retry, [m], { reconsumeTimes: maxReconsumeTimes, maxReconsumeTimes });
      if (!r.ok) throw r.error;
    };
    const sendAll = async (): Promise<void> => {
      for (let i = 0; i < copies.length; i += 8) await Promise.all(copies.slice(i, i + 8).map(sendOne));
    };
    try {
      await sendAll();
    } catch (err) {
      if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
      // The retry topic appears on the new cluster with the group's heartbeat (as RocketMQ brokers do): send one, retry.
      const known = newest.client.heartbeat.consumerGroups().find((x) => x.group === group);
      if (!known) newest.client.registerConsumerGroup({ group, subscriptions: { [topic]: '*' } });
      await newest.client.sendHeartbeat();
      for (let i = 0; ; i++) {
        await new Promise((r) => setTimeout(r, 250));
        try {
          await sendAll();
          break;
        } catch (e) {
          if (!MqError.is(e, 'TOPIC_NOT_FOUND') || i >= 19) throw e;
        }
      }
    }
    this.deps.logger.info({ group, topic, count: messages.length, from: g.id, to: newest.id }, 'moved to the DLQ of the newest generation');
    return true;
  }

  /**
   * An operator reset of the group's offsets by time arrived on generation `from` (and was applied to its keys): the
   * same reset goes to every other open generation, at the offsets of that time in its own logs
   * (SEARCH_OFFSET_BY_TIMESTAMP per queue), so that a reprocessing covers what the old cluster still holds too. The
   * group's drain is checked again from scratch on each of them.
   */
  async applyReset(from: Generation, group: string, topic: string, timestamp: number): Promise<void> {
    from.drain.delete(group);
    for (const h of this.gens) {
      if (h === from || h.state === 'drained') continue;
      try {
        let queues;
        try {
          queues = await h.client.subscribeQueues(topic);
        } catch (err) {
          if (MqError.is(err, 'TOPIC_NOT_FOUND')) continue;
          throw err;
        }
        const offsets = [];
        for (const q of queues) offsets.push({ brokerName: q.brokerName, queueId: q.queueId, offset: await h.client.searchOffsetByTimestamp(q, timestamp) });
        await taggedCoordinator(this.deps.coord, h.tag).resetOffsets(group, topic, offsets);
        h.drain.delete(group);
        this.deps.logger.info({ group, topic, timestamp, generation: h.id, from: from.id, queues: offsets.length }, 'operator reset applied to another generation too');
      } catch (err) {
        this.deps.logger.warn({ err, group, topic, generation: h.id }, 'operator reset could not be applied to this generation');
      }
    }
  }

  /** JSON for the status endpoint. */
  status(): Record<string, unknown> {
    const newest = this.gens[this.gens.length - 1];
    return {
      active: newest?.id,
      generations: [...this.dropped, ...this.gens].map((g) => ({
        id: g.id,
        state: g.state,
        tag: g.tag,
        nameServers: g.provider.current(),
        openedAt: new Date(g.openedAt).toISOString(),
        lastSendAt: g.lastSendAt > 0 ? new Date(g.lastSendAt).toISOString() : null,
        drainedAt: g.drainedAt > 0 ? new Date(g.drainedAt).toISOString() : null,
        noRoutes: g.noRoutes,
        groups: Object.fromEntries(
          [...g.drain].map(([group, d]) => [
            group,
            { backlog: d.backlog, retryBacklog: d.retryBacklog, delayBacklog: d.delayBacklog, drained: d.drained, checkedAt: new Date(d.checkedAt).toISOString(), error: d.error },
          ]),
        ),
      })),
      drained: this.gens.every((g) => g === newest || g.state === 'drained'),
    };
  }

  /** Writes every open generation's committed offsets to its brokers now. */
  async flush(): Promise<void> {
    for (const g of this.gens) await g.flush?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.deps.source.off('change', this.onChange);
    this.deps.source.stop();
    await this.changeChain;
    for (const g of this.gens) if (g.state !== 'drained') await g.close?.().catch((err: unknown) => this.deps.logger.warn({ err, generation: g.id }, 'closing a generation failed'));
  }

  private open(provider: MutableAddressProvider, client: MQClient, rec: GenerationRecord): Generation {
    return {
      id: rec.id,
      tag: rec.tag,
      nameServers: provider.current(),
      openedAt: Date.now(),
      client,
      provider,
      state: 'active',
      drain: new Map(),
      lastSendAt: 0,
      drainedAt: 0,
      supersededAt: 0,
      noRoutes: false,
    };
  }

  private finish(g: Generation): void {
    const built = this.deps.build(g, taggedCoordinator(this.deps.coord, g.tag));
    g.reader = built.reader;
    g.flush = built.flush;
    g.close = built.close;
    this.gens.push(g);
    this.publish();
  }

  /** Every registered generation (shared through coord when it can, else this process's). */
  private async records(): Promise<GenerationRecord[]> {
    const raw = this.deps.coord.generationsRead ? await this.deps.coord.generationsRead() : Object.fromEntries(this.localRegistry);
    const out: GenerationRecord[] = [];
    for (const v of Object.values(raw)) {
      try {
        const r = JSON.parse(v) as GenerationRecord;
        if (Number.isInteger(r.id) && typeof r.tag === 'string' && Array.isArray(r.nameServers)) out.push({ ...r, brokers: Array.isArray(r.brokers) ? r.brokers : [] });
      } catch {
        this.deps.logger.warn({ value: v }, 'unreadable generation registry entry ignored');
      }
    }
    return out;
  }

  private async addRecord(r: GenerationRecord): Promise<GenerationRecord> {
    const v = JSON.stringify(r);
    const field = fieldOf(r.tag);
    if (this.deps.coord.generationsAdd) return JSON.parse(await this.deps.coord.generationsAdd(field, v)) as GenerationRecord;
    if (!this.localRegistry.has(field)) this.localRegistry.set(field, v);
    return JSON.parse(this.localRegistry.get(field) ?? v) as GenerationRecord;
  }

  private async setRecord(r: GenerationRecord): Promise<void> {
    const v = JSON.stringify(r);
    if (this.deps.coord.generationsSet) await this.deps.coord.generationsSet(fieldOf(r.tag), v);
    else this.localRegistry.set(fieldOf(r.tag), v);
  }

  /** The registry entry of the cluster behind `nameServers` (registered now when none matches). */
  private async identify(nameServers: string[], client: MQClient): Promise<GenerationRecord> {
    const brokers = await brokerAddresses(client).catch(() => []);
    const records = await this.records();
    const known = matchGeneration(records, nameServers, brokers);
    if (known) {
      const ns = [...new Set([...nameServers, ...known.nameServers])];
      const bs = [...new Set([...brokers, ...known.brokers])];
      if (ns.length !== known.nameServers.length || bs.length !== known.brokers.length) {
        const updated = { ...known, nameServers: ns, brokers: bs };
        await this.setRecord(updated).catch((err: unknown) => this.deps.logger.warn({ err }, 'generation registry update failed'));
        return updated;
      }
      return known;
    }
    const id = records.reduce((m, r) => Math.max(m, r.id), 0) + 1;
    return this.addRecord({ id, tag: tagFor(records, nameServers), nameServers: [...nameServers], brokers, openedAt: Date.now() });
  }

  private async handleChange(addresses: string[]): Promise<void> {
    if (this.stopped || addresses.length === 0) return;
    const newest = this.newest;
    const current = newest.provider.current();
    if (addresses.some((a) => current.includes(a))) {
      newest.provider.set(addresses);
      return;
    }
    const provider = new MutableAddressProvider(addresses);
    const client = this.deps.newClient(provider);
    await client.start();
    // Same brokers behind new name servers (a name-server replacement): not another cluster.
    if (await this.sameBrokers(newest.client, client)) {
      await client.shutdown().catch(() => undefined);
      newest.provider.set(addresses);
      this.deps.logger.info({ addresses }, 'name servers replaced; same brokers, same generation');
      return;
    }
    const rec = await this.identify(addresses, client);
    const open = this.gens.find((x) => x.tag === rec.tag);
    if (open) {
      // Back to a generation this process still drains (a flip back): it takes the sends again, the others drain.
      await client.shutdown().catch(() => undefined);
      open.provider.set(addresses);
      for (const x of this.gens) {
        if (x === open || x.state !== 'active') continue;
        x.state = 'draining';
        x.supersededAt = Date.now();
      }
      open.state = 'active';
      open.supersededAt = 0;
      this.gens.splice(this.gens.indexOf(open), 1);
      this.gens.push(open);
      this.publish();
      this.deps.logger.warn({ generation: open.id, addresses }, 'name servers moved back to a generation still open: it is active again');
      return;
    }
    const g = this.open(provider, client, rec);
    for (const old of this.gens) {
      if (old.state !== 'active') continue;
      old.state = 'draining';
      old.supersededAt = Date.now();
    }
    this.finish(g);
    this.deps.logger.warn({ generation: g.id, tag: g.tag, addresses, previous: current }, 'name servers moved to another cluster: new generation; older ones drain');
  }

  private async sameBrokers(a: MQClient, b: MQClient): Promise<boolean> {
    try {
      const [x, y] = await Promise.all([brokerAddresses(a), brokerAddresses(b)]);
      return x.length > 0 && x.join(';') === y.join(';');
    } catch {
      // The old cluster's name servers may be gone already: another cluster.
      return false;
    }
  }

  /** Computes every draining generation's backlog per group; closes a generation once every group is drained. */
  private async checkDrains(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const draining = this.gens.filter((g) => g.state === 'draining');
      if (draining.length === 0) return;
      const groups = new Set<string>([...this.groupTopics.keys(), ...(await this.deps.coord.groups())]);
      for (const g of draining) {
        const coord = taggedCoordinator(this.deps.coord, g.tag);
        const delayed = await this.pendingDelayed(g, [...groups]);
        let all = true;
        for (const group of groups) {
          const d = await this.groupBacklog(g, coord, group, delayed);
          g.drain.set(group, d);
          if (!d.drained) all = false;
        }
        const quietSince = Math.max(g.lastSendAt, g.supersededAt);
        if (all && this.gens.indexOf(g) === 0 && Date.now() - quietSince >= this.deps.sendGraceMs) {
          // Oldest first: a generation is dropped only when nothing older remains.
          g.state = 'drained';
          g.drainedAt = Date.now();
          this.deps.logger.warn({ generation: g.id, nameServers: g.provider.current() }, 'generation drained for every group; closed');
          await this.markDrained(g);
          await g.close?.().catch((err: unknown) => this.deps.logger.warn({ err, generation: g.id }, 'closing a drained generation failed'));
          this.gens.splice(0, 1);
          this.dropped.push(g);
        }
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'drain check failed');
    } finally {
      this.checking = false;
      this.publish();
    }
  }

  /** Records in the registry that `g` is drained (a gateway started later does not open it again). */
  private async markDrained(g: Generation): Promise<void> {
    try {
      const rec = (await this.records()).find((r) => r.tag === g.tag);
      if (rec && rec.drainedAt === undefined) await this.setRecord({ ...rec, drainedAt: g.drainedAt });
    } catch (err) {
      this.deps.logger.warn({ err, generation: g.id }, 'could not record the drained generation in the registry');
    }
  }

  /** Generations closed after their drain (kept for the status endpoint). */
  private readonly dropped: Generation[] = [];

  /**
   * The delayed messages the generation's schedule services have not delivered yet (GET_ALL_DELAY_OFFSET progress
   * per level up to each SCHEDULE_TOPIC_XXXX queue's max offset), counted per REAL_TOPIC; `unknown` counts those past
   * the scan limit (they hold every group). `error` when it could not be known.
   */
  private async pendingDelayed(g: Generation, groups: string[]): Promise<{ byTopic: Map<string, number>; unknown: number; error?: string }> {
    const byTopic = new Map<string, number>();
    let unknown = 0;
    let queues;
    try {
      queues = await g.client.subscribeQueues(SCHEDULE_TOPIC);
    } catch (err) {
      // No delay topic in the routes: no broker of the generation holds delayed messages.
      if (MqError.is(err) && err.code === 'TOPIC_NOT_FOUND') return { byTopic, unknown };
      return { byTopic, unknown, error: `${SCHEDULE_TOPIC}: ${(err as Error).message}` };
    }
    const progress = new Map<string, Record<number, number>>();
    try {
      for (const q of queues) {
        let table = progress.get(q.brokerName);
        if (!table) progress.set(q.brokerName, (table = await g.client.delayOffsets(SCHEDULE_TOPIC, q.brokerName)));
        const max = (await g.client.getMaxOffsetAnswer(q)).offset;
        let offset = table[q.queueId + 1] ?? 0;
        let scanned = 0;
        while (offset < max && scanned < DELAY_SCAN_LIMIT) {
          const r = await g.client.pull({
            consumerGroup: groups[0] ?? 'GATEWAY_DRAIN_CHECK',
            brokerName: q.brokerName,
            topic: SCHEDULE_TOPIC,
            queueId: q.queueId,
            offset,
            maxMsgNums: 32,
            subscription: '*',
            suspendTimeoutMillis: 0,
          });
          if (r.status === 'FOUND' && r.messages.length > 0) {
            for (const m of r.messages) {
              if (m.queueOffset < offset || m.queueOffset >= max) continue;
              const topic = m.properties[PROP.REAL_TOPIC] ?? '';
              byTopic.set(topic, (byTopic.get(topic) ?? 0) + 1);
              scanned++;
            }
          }
          if (r.nextBeginOffset <= offset) break;
          offset = r.nextBeginOffset;
        }
        if (offset < max) unknown += max - offset;
      }
    } catch (err) {
      return { byTopic, unknown, error: `${SCHEDULE_TOPIC}: ${(err as Error).message}` };
    }
    return { byTopic, unknown };
  }

  private async groupBacklog(
    g: Generation,
    coord: Coordinator,
    group: string,
    delayed: { byTopic: Map<string, number>; unknown: number; error?: string },
  ): Promise<GroupDrain> {
    const prev = g.drain.get(group);
    if (prev?.drained) return prev;
    const topics = new Set(this.groupTopics.get(group) ?? []);
    let committed: Awaited<ReturnType<Coordinator['committedOffsets']>> = [];
    try {
      committed = await coord.committedOffsets(group);
    } catch (err) {
      return {
        backlog: prev?.backlog ?? -1,
        retryBacklog: prev?.retryBacklog ?? -1,
        delayBacklog: prev?.delayBacklog ?? -1,
        drained: false,
        checkedAt: Date.now(),
        drainedAt: 0,
        error: (err as Error).message,
      };
    }
    for (const c of committed) topics.add(c.topic);
    const byKey = new Map(committed.map((c) => [`${c.topic}\u0000${c.queueKey}`, c.offset]));
    let backlog = 0;
    let retryBacklog = 0;
    let error: string | undefined = delayed.error;
    const retry = `%RETRY%${group}`;
    // Delayed messages become due into their REAL_TOPIC (the topic itself, or %RETRY%<group> for a send-back).
    let delayBacklog = delayed.unknown + (delayed.byTopic.get(retry) ?? 0);
    for (const t of topics) if (t !== retry) delayBacklog += delayed.byTopic.get(t) ?? 0;
    for (const topic of [...topics, retry]) {
      let queues;
      try {
        queues = await g.client.subscribeQueues(topic);
      } catch (err) {
        // No route for the retry topic: nothing was sent back there. No route for a topic: nothing to drain there.
        if (MqError.is(err) && err.code === 'TOPIC_NOT_FOUND') continue;
        error = (err as Error).message;
        continue;
      }
      for (const q of queues) {
        try {
          const max = (await g.client.getMaxOffsetAnswer(q)).offset;
          let done = byKey.get(`${topic}\u0000${queueKeyOf(q)}`);
          if (done === undefined) done = Math.max(0, (await g.client.queryConsumerOffsetAnswer(group, q)).offset);
          const left = Math.max(0, max - done);
          backlog += left;
          if (topic === retry) retryBacklog += left;
        } catch (err) {
          error = (err as Error).message;
        }
      }
    }
    backlog += delayBacklog;
    this.backlogGauge.set({ group, generation: String(g.id) }, backlog);
    this.delayGauge.set({ group, generation: String(g.id) }, delayBacklog);
    // Zero in two checks in a row: a delayed message just delivered may not be visible in its queue's max offset at
    // the very moment its schedule progress moved.
    const zero = error === undefined && backlog === 0;
    const drained = zero && prev !== undefined && prev.backlog === 0 && prev.error === undefined;
    return { backlog, retryBacklog, delayBacklog, drained, checkedAt: Date.now(), drainedAt: drained ? Date.now() : 0, error };
  }

  private publish(): void {
    this.infoGauge.reset();
    for (const g of [...this.dropped, ...this.gens]) {
      this.infoGauge.set({ generation: String(g.id), state: g.state, name_servers: g.provider.current().join(';') }, 1);
    }
  }
}

/** The sorted broker addresses of a cluster (GET_BROKER_CLUSTER_INFO). */
async function brokerAddresses(c: MQClient): Promise<string[]> {
  const info = await c.getClusterInfo();
  return Object.values(info.brokerAddrTable)
    .flatMap((bd) => Object.values(bd.brokerAddrs ?? {}))
    .sort();
}
