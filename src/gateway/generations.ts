/**
 * Cluster generations (blue/green through the name servers' DNS name or address server).
 *
 * The gateway resolves one name-server source. When its answer moves to *another cluster* (no name server in common
 * with the newest generation, and a different set of broker addresses), a new generation opens with its own RocketMQ
 * client, reader and offset writer:
 *  - sends go only to the newest generation;
 *  - gets read the older generations first ("draining"), oldest first, without waiting on them, then the newest one
 *    with the caller's wait; a group is drained on a generation once its backlog there (every queue of every topic
 *    it read, and `%RETRY%<group>`) is zero; once every known group is drained, the generation's client is closed;
 *  - an old generation whose name servers answer TOPIC_NOT_EXIST while the newest has routes is skipped (#2090);
 *  - each generation keeps its own coord state: the first generation of a process uses the plain queue keys, a
 *    later one prefixes them with `<tag>#` (tag = hash of its name servers), so that blue and green broker sets with
 *    the same names never share a cursor. A new generation's state starts empty: each group starts there at the
 *    broker's committed offset, else at the oldest retained message (README "Delivery guarantees" rule 2).
 * A change that keeps a name server, or that reaches the same brokers, only updates the newest client's list.
 */
import { createHash } from 'crypto';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { MqError } from '../common';
import { MQClient, MutableAddressProvider } from '../client';
import type { NameServerAddressProvider } from '../client';
import type { Coordinator, QueueRef } from '../coord';
import type { Delivery, GroupReader, ReadRequest } from './group-reader';
import { queueKeyOf } from './queue-cursor';

/** One cluster generation as the gateway uses it. */
export interface Generation {
  readonly id: number;
  /** Prefix of its coord queue keys ('' for the first generation of the process). */
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
  drained: boolean;
  checkedAt: number;
  drainedAt: number;
  error?: string;
}

/** Builds a generation's reader and offset writer (the controller's wiring). */
export type GenerationBuilder = (g: Generation, coord: Coordinator) => { reader: GroupReader; flush: () => Promise<void>; close: () => Promise<void> };

/** How often draining generations are checked, ms. */
const DRAIN_CHECK_MS = 1000;

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
    // Operator resets address the plain keys (the first generation); later generations start fresh anyway.
    resetOffsets: (g, t, o) => (tag === '' ? base.resetOffsets(g, t, o) : Promise.resolve()),
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
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;
  /** group → topics this gateway read for it. */
  private readonly groupTopics = new Map<string, Set<string>>();
  private readonly infoGauge: Gauge;
  private readonly backlogGauge: Gauge;
  private changeChain: Promise<void> = Promise.resolve();
  private readonly onChange = (addresses: string[]): void => {
    this.changeChain = this.changeChain.then(() => this.handleChange(addresses)).catch((err: unknown) => this.deps.logger.error({ err }, 'name-server change failed'));
  };

  constructor(private readonly deps: GenerationManagerDeps) {
    const registers = deps.registry ? [deps.registry] : [];
    this.infoGauge = new Gauge({
      name: 'mq_gateway_generation_info',
      help: 'Cluster generations of the gateway (1 per generation): state active, draining or drained',
      labelNames: ['generation', 'state', 'name_servers'],
      registers,
    });
    this.backlogGauge = new Gauge({
      name: 'mq_gateway_drain_backlog',
      help: "Messages of a group not yet consumed on a draining generation (topic queues + %RETRY%<group>)",
      labelNames: ['group', 'generation'],
      registers,
    });
  }

  /** Opens the first generation with the source's current answer and follows its changes. */
  async start(): Promise<void> {
    await this.deps.source.start();
    const first = this.deps.first;
    const provider = first?.provider ?? new MutableAddressProvider(this.deps.source.current());
    provider.set(this.deps.source.current());
    const client = first?.client ?? this.deps.newClient(provider);
    const g = this.open(provider, client, '');
    await client.start();
    this.finish(g);
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
          [...g.drain].map(([group, d]) => [group, { backlog: d.backlog, retryBacklog: d.retryBacklog, drained: d.drained, checkedAt: new Date(d.checkedAt).toISOString(), error: d.error }]),
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

  private open(provider: MutableAddressProvider, client: MQClient, tag: string): Generation {
    const g: Generation = {
      id: this.nextId++,
      tag,
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
    return g;
  }

  private finish(g: Generation): void {
    const built = this.deps.build(g, taggedCoordinator(this.deps.coord, g.tag));
    g.reader = built.reader;
    g.flush = built.flush;
    g.close = built.close;
    this.gens.push(g);
    this.publish();
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
    const tag = `g${createHash('sha256').update(addresses.join(';')).digest('hex').slice(0, 8)}`;
    const g = this.open(provider, client, tag);
    for (const old of this.gens) {
      if (old.state !== 'active') continue;
      old.state = 'draining';
      old.supersededAt = Date.now();
    }
    this.finish(g);
    this.deps.logger.warn({ generation: g.id, addresses, previous: current }, 'name servers moved to another cluster: new generation; older ones drain');
  }

  private async sameBrokers(a: MQClient, b: MQClient): Promise<boolean> {
    const addrs = async (c: MQClient): Promise<string> => {
      const info = await c.getClusterInfo();
      return Object.values(info.brokerAddrTable)
        .flatMap((bd) => Object.values(bd.brokerAddrs ?? {}))
        .sort()
        .join(';');
    };
    try {
      const [x, y] = await Promise.all([addrs(a), addrs(b)]);
      return x !== '' && x === y;
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
        let all = true;
        for (const group of groups) {
          const d = await this.groupBacklog(g, coord, group);
          g.drain.set(group, d);
          if (!d.drained) all = false;
        }
        const quietSince = Math.max(g.lastSendAt, g.supersededAt);
        if (all && this.gens.indexOf(g) === 0 && Date.now() - quietSince >= this.deps.sendGraceMs) {
          // Oldest first: a generation is dropped only when nothing older remains.
          g.state = 'drained';
          g.drainedAt = Date.now();
          this.deps.logger.warn({ generation: g.id, nameServers: g.provider.current() }, 'generation drained for every group; closed');
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

  /** Generations closed after their drain (kept for the status endpoint). */
  private readonly dropped: Generation[] = [];

  private async groupBacklog(g: Generation, coord: Coordinator, group: string): Promise<GroupDrain> {
    const prev = g.drain.get(group);
    if (prev?.drained) return prev;
    const topics = new Set(this.groupTopics.get(group) ?? []);
    let committed: Awaited<ReturnType<Coordinator['committedOffsets']>> = [];
    try {
      committed = await coord.committedOffsets(group);
    } catch (err) {
      return { backlog: prev?.backlog ?? -1, retryBacklog: prev?.retryBacklog ?? -1, drained: false, checkedAt: Date.now(), drainedAt: 0, error: (err as Error).message };
    }
    for (const c of committed) topics.add(c.topic);
    const byKey = new Map(committed.map((c) => [`${c.topic}\u0000${c.queueKey}`, c.offset]));
    let backlog = 0;
    let retryBacklog = 0;
    let error: string | undefined;
    const retry = `%RETRY%${group}`;
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
    this.backlogGauge.set({ group, generation: String(g.id) }, backlog);
    const drained = error === undefined && backlog === 0;
    return { backlog, retryBacklog, drained, checkedAt: Date.now(), drainedAt: drained ? Date.now() : 0, error };
  }

  private publish(): void {
    this.infoGauge.reset();
    for (const g of [...this.dropped, ...this.gens]) {
      this.infoGauge.set({ generation: String(g.id), state: g.state, name_servers: g.provider.current().join(';') }, 1);
    }
  }
}
