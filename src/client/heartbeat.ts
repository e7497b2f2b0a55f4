/**
 * HEART_BEAT (ref §2.3.2, §3.5) to every broker in the cached routes, every `heartbeatBrokerInterval`: it tells
 * brokers which consumer groups this client serves (so RocketMQ tools see the gateway's groups and brokers create
 * `%RETRY%<group>`), and which producer group it sends with. With no consumer group registered, only masters get
 * it (ref §3.5 "Which brokers receive heartbeats").
 */
import os from 'os';
import type { Logger } from 'pino';
import { toJson } from '../common/fastjson';
import { javaStringHashCode } from '../common/message';
import { RemotingCommand, RequestCode, ResponseCode } from '../remoting';
import type { RemotingClient } from '../remoting';
import { encodeUnregisterClientHeader } from '../remoting/header/unregister-client';
import type { RouteCache } from './route/route-cache';
import { parseSubscription } from './consumer/subscription';
import { MASTER_ID } from './route/topic-route';

/** The first non-internal IPv4 address of this host, else 127.0.0.1. */
export function localIPv4(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** `clientIP@instanceName[@unitName]`; instance DEFAULT becomes `<pid>#<start ns>` (ref §3.5). */
export function buildClientId(clientIP: string, instanceName: string, unitName: string): string {
  const ip = clientIP || localIPv4();
  const instance = instanceName === 'DEFAULT' ? `${process.pid}#${process.hrtime.bigint()}` : instanceName;
  return `${ip}@${instance}${unitName ? `@${unitName}` : ''}`;
}

/** A consumer group this client serves, with its topics and tag expressions. */
export interface ConsumerGroupInfo {
  group: string;
  /** topic → tag expression (`*` or `A || B`). */
  subscriptions: Record<string, string>;
}

export class HeartbeatService {
  private readonly groups = new Map<string, ConsumerGroupInfo>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly subVersion = Date.now();

  constructor(
    private readonly opts: { clientId: string; producerGroup: string; intervalMs: number; timeoutMs: number },
    private readonly deps: { remoting: RemotingClient; routes: RouteCache; logger: Logger },
  ) {}

  /** Registers (or replaces) a consumer group; the next heartbeat carries it. */
  registerConsumerGroup(info: ConsumerGroupInfo): void {
    this.groups.set(info.group, { group: info.group, subscriptions: { ...info.subscriptions } });
  }

  unregisterConsumerGroup(group: string): void {
    this.groups.delete(group);
  }

  consumerGroups(): ConsumerGroupInfo[] {
    return [...this.groups.values()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(1000);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The HeartbeatData body (ref §3.5). */
  body(): Buffer {
    const consumerDataSet = [...this.groups.values()].map((g) => ({
      groupName: g.group,
      consumeType: 'CONSUME_ACTIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      unitMode: false,
      subscriptionDataSet: Object.entries(g.subscriptions).map(([topic, expr]) => {
        const sub = parseSubscription(expr);
        return {
          classFilterMode: false,
          topic,
          subString: sub.expression,
          tagsSet: [...sub.tags],
          codeSet: [...sub.tags].map(javaStringHashCode),
          subVersion: this.subVersion,
          expressionType: 'TAG',
        };
      }),
    }));
    return Buffer.from(
      toJson({
        clientID: this.opts.clientId,
        producerDataSet: [{ groupName: this.opts.producerGroup }],
        consumerDataSet,
      }),
      'utf8',
    );
  }

  /** Sends one heartbeat to every target now; resolves with the addresses that accepted it. Never rejects. */
  async sendNow(): Promise<string[]> {
    const consumers = this.groups.size > 0;
    const targets = this.deps.routes.brokerAddresses().filter((b) => consumers || b.brokerId === MASTER_ID);
    const body = this.body();
    const ok: string[] = [];
    await Promise.all(
      targets.map(async (t) => {
        try {
          const res = await this.deps.remoting.invokeSync(
            t.addr,
            RemotingCommand.createRequest(RequestCode.HEART_BEAT, undefined, body),
            this.opts.timeoutMs,
          );
          if (res.code === ResponseCode.SUCCESS) ok.push(t.addr);
          else this.deps.logger.warn({ broker: t.addr, code: res.code, remark: res.remark }, 'heartbeat refused');
        } catch (err) {
          this.deps.logger.debug({ broker: t.addr, err }, 'heartbeat failed');
        }
      }),
    );
    return ok.sort();
  }

  /**
   * UNREGISTER_CLIENT for the producer group and every consumer group, to every broker in the routes, so that
   * brokers drop this client at once instead of after their 120 s expiry (ref §2.3.2). Bounded by `timeoutMs`;
   * never rejects.
   */
  async unregisterAll(timeoutMs: number): Promise<void> {
    const targets = this.deps.routes.brokerAddresses();
    const headers = [
      { clientID: this.opts.clientId, producerGroup: this.opts.producerGroup },
      ...[...this.groups.keys()].map((g) => ({ clientID: this.opts.clientId, consumerGroup: g })),
    ];
    await Promise.all(
      targets.flatMap((t) =>
        headers.map((h) =>
          this.deps.remoting
            .invokeSync(t.addr, RemotingCommand.createRequest(RequestCode.UNREGISTER_CLIENT, encodeUnregisterClientHeader(h)), timeoutMs)
            .catch((err: unknown) => this.deps.logger.debug({ broker: t.addr, err }, 'unregister failed')),
        ),
      ),
    );
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.sendNow().then(() => this.schedule(this.opts.intervalMs));
    }, delay);
    this.timer.unref();
  }
}
