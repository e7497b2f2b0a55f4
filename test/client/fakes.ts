/**
 * Fake name servers and brokers for client component tests: real RemotingServers on 127.0.0.1:0 whose processors
 * the test scripts. The client is the system under test, so its peers may be fakes.
 */
import pino from 'pino';
import { RemotingCommand, RemotingServer, RequestCode, ResponseCode } from '../../src/remoting';
import type { Processor } from '../../src/remoting';
import { decodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import type { SendMessageRequestHeader } from '../../src/remoting/header/send-message';
import { encodeSendMessageResponseHeader } from '../../src/remoting/header/send-message-response';
import {
  bodyCrc,
  createOffsetMsgId,
  decodeBatchBody,
  decodeProperties,
  decodeRecord,
  encodeProperties,
  encodeRecord,
  tagsCode,
} from '../../src/common/message';
import { decodePullMessageHeader, encodePullMessageResponseHeader } from '../../src/remoting/header/pull-message';
import type { PullMessageRequestHeader } from '../../src/remoting/header/pull-message';

export const silent = pino({ level: 'silent' });

/** Everything started by a test, closed in `after`/`afterEach`. */
export class Fleet {
  private readonly servers: RemotingServer[] = [];

  async server(name: string, host = '127.0.0.1', port = 0): Promise<{ server: RemotingServer; addr: string }> {
    const server = new RemotingServer({ listenPort: port, host, name, logger: silent });
    const bound = await server.start();
    this.servers.push(server);
    return { server, addr: `${host}:${bound}` };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

/** A route for one topic: broker sets with their addresses (id → addr) and queue counts. */
export interface FakeBrokerSet {
  brokerName: string;
  addrs: Record<number, string>;
  writeQueueNums?: number;
  readQueueNums?: number;
  perm?: number;
}

/** A route body as an old (pre-4.9.4) name server writes it: fastjson with bare integer brokerId keys (ref §3.1). */
export function fastjsonRoute(sets: FakeBrokerSet[]): string {
  const brokerDatas = sets
    .map((s) => {
      const addrs = Object.entries(s.addrs)
        .map(([id, a]) => `${id}:"${a}"`)
        .join(',');
      return `{"brokerAddrs":{${addrs}},"brokerName":"${s.brokerName}","cluster":"C"}`;
    })
    .join(',');
  const queueDatas = sets
    .map(
      (s) =>
        `{"brokerName":"${s.brokerName}","perm":${s.perm ?? 6},"readQueueNums":${s.readQueueNums ?? 4},"topicSysFlag":0,"writeQueueNums":${s.writeQueueNums ?? 4}}`,
    )
    .join(',');
  return `{"brokerDatas":[${brokerDatas}],"filterServerTable":{},"queueDatas":[${queueDatas}]}`;
}

/** A name server that serves routes from a mutable table. Unknown topics get TOPIC_NOT_EXIST. */
export class FakeNameServer {
  routes = new Map<string, FakeBrokerSet[]>();
  routeRequests = 0;
  addr = '';

  static async start(fleet: Fleet, host = '127.0.0.1', port = 0): Promise<FakeNameServer> {
    const ns = new FakeNameServer();
    const { server, addr } = await fleet.server('fake-namesrv', host, port);
    ns.addr = addr;
    server.registerProcessor(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => {
      ns.routeRequests++;
      const topic = req.extFields?.topic ?? '';
      const sets = ns.routes.get(topic);
      if (!sets) {
        return RemotingCommand.createResponse(
          ResponseCode.TOPIC_NOT_EXIST,
          `No topic route info in name server for the topic: ${topic}`,
        );
      }
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, Buffer.from(fastjsonRoute(sets)));
    });
    server.registerProcessor(RequestCode.GET_BROKER_CLUSTER_INFO, () => {
      const table: string[] = [];
      const names = new Set<string>();
      for (const sets of ns.routes.values()) {
        for (const s of sets) {
          if (names.has(s.brokerName)) continue;
          names.add(s.brokerName);
          const addrs = Object.entries(s.addrs)
            .map(([id, a]) => `${id}:"${a}"`)
            .join(',');
          table.push(`"${s.brokerName}":{"brokerAddrs":{${addrs}},"brokerName":"${s.brokerName}","cluster":"C"}`);
        }
      }
      const body = `{"brokerAddrTable":{${table.join(',')}},"clusterAddrTable":{"C":[${[...names].map((n) => `"${n}"`).join(',')}]}}`;
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body));
    });
    return ns;
  }
}

/** What a fake broker received in one send. */
export interface ReceivedSend {
  code: number;
  header: SendMessageRequestHeader;
  messages: Array<{ body: Buffer; properties: Record<string, string>; flag: number }>;
}

/** How a fake broker answers a send. */
export type SendBehaviour = 'ok' | 'busy' | 'system-error' | 'hang' | 'flush-disk-timeout' | 'topic-not-exist';

/** A broker that stores nothing but answers sends per `behaviour` and records what it got. */
export class FakeBroker {
  addr = '';
  server!: RemotingServer;
  behaviour: SendBehaviour = 'ok';
  /** Sends to answer with a plain SYSTEM_ERROR before `behaviour` applies. */
  failNext = 0;
  sends: ReceivedSend[] = [];
  /** Stored records per `topic@queueId`, as real record bytes (ref §4.1). */
  queues = new Map<string, Buffer[]>();
  pulls: PullMessageRequestHeader[] = [];
  heartbeats: Array<Record<string, unknown>> = [];
  consumerOffsets = new Map<string, number>();
  createdTopics: Array<Record<string, string>> = [];
  sendBacks: Array<Record<string, string>> = [];
  unregisters: Array<Record<string, string>> = [];
  /** suggestWhichBrokerId put in pull responses. */
  suggestBrokerId = 0;
  private nextOffset = new Map<number, number>();
  private physical = 1000;

  static async start(fleet: Fleet, name: string): Promise<FakeBroker> {
    const b = new FakeBroker();
    const { server, addr } = await fleet.server(name);
    b.addr = addr;
    b.server = server;
    const onSend: Processor = (req) => b.onSend(req);
    server.registerProcessor(RequestCode.SEND_MESSAGE_V2, onSend);
    server.registerProcessor(RequestCode.SEND_BATCH_MESSAGE, onSend);
    server.registerProcessor(RequestCode.PULL_MESSAGE, (req) => b.onPull(req));
    server.registerProcessor(RequestCode.HEART_BEAT, (req) => {
      b.heartbeats.push(JSON.parse((req.body ?? Buffer.alloc(0)).toString('utf8')) as Record<string, unknown>);
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    server.registerProcessor(RequestCode.QUERY_CONSUMER_OFFSET, (req) => {
      const e = req.extFields ?? {};
      const v = b.consumerOffsets.get(`${e.consumerGroup}@${e.topic}@${e.queueId}`);
      return v === undefined
        ? RemotingCommand.createResponse(ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first')
        : RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, { offset: v });
    });
    server.registerProcessor(RequestCode.UPDATE_CONSUMER_OFFSET, (req) => {
      const e = req.extFields ?? {};
      b.consumerOffsets.set(`${e.consumerGroup}@${e.topic}@${e.queueId}`, Number(e.commitOffset));
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    server.registerProcessor(RequestCode.GET_MAX_OFFSET, (req) => {
      const e = req.extFields ?? {};
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, undefined, {
        offset: (b.queues.get(`${e.topic}@${e.queueId}`) ?? []).length,
      });
    });
    server.registerProcessor(RequestCode.UPDATE_AND_CREATE_TOPIC, (req) => {
      b.createdTopics.push({ ...(req.extFields ?? {}) });
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    server.registerProcessor(RequestCode.UNREGISTER_CLIENT, (req) => {
      b.unregisters.push({ ...(req.extFields ?? {}) });
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    server.registerProcessor(RequestCode.CONSUMER_SEND_MSG_BACK, (req) => {
      b.sendBacks.push({ ...(req.extFields ?? {}) });
      return RemotingCommand.createResponse(ResponseCode.SUCCESS);
    });
    return b;
  }

  /** Appends a message as a real commit-log record to `topic@queueId`. */
  store(topic: string, queueId: number, body: Buffer, properties: Record<string, string>, sysFlag = 0): void {
    const key = `${topic}@${queueId}`;
    const list = this.queues.get(key) ?? [];
    const now = Date.now();
    list.push(
      encodeRecord(
        {
          bodyCrc: bodyCrc(body),
          queueId,
          flag: 0,
          queueOffset: list.length,
          physicalOffset: this.physical,
          sysFlag,
          bornTimestamp: now - 5,
          bornHost: { ip: '10.1.2.3', port: 40000 },
          storeTimestamp: now,
          storeHost: { ip: '127.0.0.1', port: 10911 },
          reconsumeTimes: 0,
          preparedTransactionOffset: 0,
          topic,
          propertiesString: encodeProperties(properties),
        },
        body,
      ),
    );
    this.physical += 1000;
    this.queues.set(key, list);
  }

  /** Serves pulls like a broker that filters by tag hash only (ref §4.8): hash collisions get through. */
  private onPull(req: RemotingCommand): RemotingCommand {
    const h = decodePullMessageHeader(req.extFields);
    this.pulls.push(h);
    const list = this.queues.get(`${h.topic}@${h.queueId}`) ?? [];
    const codes =
      !h.subscription || h.subscription.trim() === '*'
        ? undefined
        : new Set(h.subscription.split('||').map((t) => tagsCode(t.trim())));
    const header = (next: number) =>
      encodePullMessageResponseHeader({
        suggestWhichBrokerId: this.suggestBrokerId,
        nextBeginOffset: next,
        minOffset: 0,
        maxOffset: list.length,
      });
    if (h.queueOffset > list.length) {
      return RemotingCommand.createResponse(ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_OVERFLOW_BADLY', header(list.length));
    }
    const found: Buffer[] = [];
    let off = h.queueOffset;
    for (; off < list.length && found.length < h.maxMsgNums; off++) {
      const rec = list[off];
      // A real broker reads the tags code from the consume queue; the record's TAGS gives the same hash.
      if (codes && !codes.has(tagsCode(decodeRecord(rec).properties.TAGS))) continue;
      found.push(rec);
    }
    if (found.length === 0) {
      return RemotingCommand.createResponse(
        off > h.queueOffset ? ResponseCode.PULL_RETRY_IMMEDIATELY : ResponseCode.PULL_NOT_FOUND,
        off > h.queueOffset ? 'NO_MATCHED_MESSAGE' : 'OFFSET_OVERFLOW_ONE',
        header(off),
      );
    }
    return RemotingCommand.createResponse(ResponseCode.SUCCESS, 'FOUND', header(off), Buffer.concat(found));
  }

  private onSend(req: RemotingCommand): RemotingCommand | null | Promise<RemotingCommand | null> {
    const header = decodeSendMessageHeaderV2(req.extFields);
    const body = req.body ?? Buffer.alloc(0);
    const messages = header.batch
      ? decodeBatchBody(body).map((e) => ({ body: Buffer.from(e.body), properties: e.properties, flag: e.flag }))
      : [{ body, properties: decodeProperties(header.properties ?? ''), flag: header.flag }];
    this.sends.push({ code: req.code, header, messages });
    if (this.failNext > 0) {
      this.failNext--;
      return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, 'create mapped file failed, server is busy or broken.');
    }
    switch (this.behaviour) {
      case 'busy':
        return RemotingCommand.createResponse(
          ResponseCode.SYSTEM_BUSY,
          '[REJECTREQUEST]system busy, start flow control for a while',
        );
      case 'system-error':
        return RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, '[PC_SYNCHRONIZED]broker busy, start flow control for a while');
      case 'topic-not-exist':
        return RemotingCommand.createResponse(ResponseCode.TOPIC_NOT_EXIST, `topic[${header.topic}] not exist`);
      case 'hang':
        return new Promise<null>(() => undefined);
      default:
        break;
    }
    const first = this.nextOffset.get(header.queueId) ?? 0;
    this.nextOffset.set(header.queueId, first + messages.length);
    const ids = messages.map(() => {
      const id = createOffsetMsgId({ ip: '127.0.0.1', port: 10911 }, this.physical);
      this.physical += 100;
      return id;
    });
    return RemotingCommand.createResponse(
      this.behaviour === 'flush-disk-timeout' ? ResponseCode.FLUSH_DISK_TIMEOUT : ResponseCode.SUCCESS,
      undefined,
      encodeSendMessageResponseHeader({ msgId: ids.join(','), queueId: header.queueId, queueOffset: first }),
    );
  }
}

/** A free TCP port with nothing listening (connect refused). */
export async function deadAddr(fleet: Fleet): Promise<string> {
  const { server, addr } = await fleet.server('dead');
  await server.close();
  return addr;
}
