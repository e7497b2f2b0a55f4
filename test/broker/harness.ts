/**
 * Test harness for broker component tests: a BrokerController on 127.0.0.1 port 0 over an in-memory store (or a
 * given one), a RemotingClient, and small request builders in the shapes ali-ons and Java clients use.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { BrokerController, resolveBrokerConfig } from '../../src/broker';
import type { BrokerStore } from '../../src/broker';
import { encodeProperties } from '../../src/common/message';
import { RemotingClient, RemotingCommand, RequestCode } from '../../src/remoting';
import { encodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import { tempDir } from '../helpers/proc';
import { MemoryStore } from './memory-store';

export interface TestBroker {
  broker: BrokerController;
  /** The in-memory store, or undefined when the broker owns a real one. */
  store: MemoryStore;
  addr: string;
  client: RemotingClient;
  registry: Registry;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a broker on 127.0.0.1:0. With `store` = 'real' the broker builds and owns a real MessageStore (small
 * segments) in the temp directory; otherwise it uses the given in-memory store.
 */
export async function startTestBroker(
  overrides: Record<string, unknown> = {},
  store: MemoryStore | BrokerStore | 'real' = new MemoryStore(),
): Promise<TestBroker> {
  const tmp = tempDir('mq-broker-');
  const config = resolveBrokerConfig({
    listenPort: 0,
    haListenPort: 0,
    httpPort: -1,
    storePathRootDir: tmp.dir,
    messageDelayLevel: '1s 1s 1s 1s 1s',
    mappedFileSizeCommitLog: 16 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 20 * 1000,
    ...overrides,
  });
  const registry = new Registry();
  const injected = store === 'real' ? undefined : (store as BrokerStore);
  const broker = new BrokerController(config, { logger: pino({ level: 'silent' }), registry, store: injected });
  const { brokerAddr } = await broker.start();
  const client = new RemotingClient({ defaultTimeoutMs: 30000 });
  let stopped = false;
  return {
    broker,
    store: store instanceof MemoryStore ? store : (undefined as unknown as MemoryStore),
    addr: brokerAddr,
    client,
    registry,
    dir: tmp.dir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await client.close();
      await broker.shutdown();
      tmp.cleanup();
    },
  };
}

export interface SendOpts {
  queueId?: number;
  tags?: string;
  keys?: string;
  props?: Record<string, string>;
  sysFlag?: number;
  producerGroup?: string;
}

/** A SEND_MESSAGE_V2 request as ali-ons builds it (numbers and booleans in extFields). */
export function sendRequest(topic: string, body: Buffer, o: SendOpts = {}): RemotingCommand {
  const props: Record<string, string> = { ...(o.props ?? {}) };
  if (o.tags !== undefined) props.TAGS = o.tags;
  if (o.keys !== undefined) props.KEYS = o.keys;
  return RemotingCommand.createRequest(
    RequestCode.SEND_MESSAGE_V2,
    encodeSendMessageHeaderV2({
      producerGroup: o.producerGroup ?? 'PG',
      topic,
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: 4,
      queueId: o.queueId ?? 0,
      sysFlag: o.sysFlag ?? 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties: encodeProperties(props),
      reconsumeTimes: 0,
      unitMode: false,
      batch: false,
    }),
    body,
  );
}

export interface PullOpts {
  group?: string;
  queueId?: number;
  offset?: number;
  maxMsgNums?: number;
  /** PullSysFlag bits; default 6 (suspend + subscription), as ali-ons sends. */
  sysFlag?: number;
  suspendMs?: number;
  subscription?: string;
  commitOffset?: number;
}

export function pullRequest(topic: string, o: PullOpts = {}): RemotingCommand {
  return RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: o.group ?? 'CG',
    topic,
    queueId: o.queueId ?? 0,
    queueOffset: o.offset ?? 0,
    maxMsgNums: o.maxMsgNums ?? 32,
    sysFlag: o.sysFlag ?? 6,
    commitOffset: o.commitOffset ?? -1,
    suspendTimeoutMillis: o.suspendMs ?? 15000,
    subscription: o.subscription ?? '*',
    subVersion: Date.now(),
  });
}

export function createTopicRequest(topic: string, queues = 4, perm = 6): RemotingCommand {
  return RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic,
    defaultTopic: 'TBW102',
    readQueueNums: queues,
    writeQueueNums: queues,
    perm,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  });
}
