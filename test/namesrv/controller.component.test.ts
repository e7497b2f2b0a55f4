/**
 * NamesrvController over real TCP on 127.0.0.1: fake brokers register with a RemotingClient, clients read routes
 * (ref §2.3.1, §7). Timeouts are shortened so expiry happens within the test.
 */
import { expect } from 'chai';
import pino from 'pino';
import { Registry } from 'prom-client';
import { sleep } from '../../src/common';
import { parseFastJson, toJson } from '../../src/common/fastjson';
import { NamesrvController, resolveNamesrvOptions } from '../../src/namesrv';
import type { ClusterInfo, TopicRouteData } from '../../src/namesrv';
import {
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  bodyCrc32,
  encodeRegisterBrokerBody,
} from '../../src/remoting';
import type { TopicConfig } from '../../src/remoting';
import { uniqueName } from '../helpers/proc';

function topicConfig(name: string, queues = 4): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
}

interface FakeBroker {
  brokerName: string;
  brokerAddr: string;
  brokerId: number;
  haServerAddr: string;
  clusterName: string;
}

/** A broker stand-in: its own RemotingClient (hence its own connection) and a REGISTER_BROKER call. */
class BrokerStub {
  readonly client = new RemotingClient({ defaultTimeoutMs: 3000 });
  constructor(
    readonly b: FakeBroker,
    private readonly nsAddr: string,
  ) {}

  async register(topics: TopicConfig[], counter = 1, compressed = false): Promise<RemotingCommand> {
    const table: Record<string, TopicConfig> = {};
    for (const t of topics) table[t.topicName] = t;
    const body = encodeRegisterBrokerBody(
      { topicConfigSerializeWrapper: { topicConfigTable: table, dataVersion: { timestamp: 1_700_000_000_000, counter } }, filterServerList: [] },
      compressed,
    );
    const req = RemotingCommand.createRequest(RequestCode.REGISTER_BROKER, { ...this.b, compressed, bodyCrc32: bodyCrc32(body) }, body);
    return this.client.invokeSync(this.nsAddr, req);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

describe('NamesrvController (component)', function () {
  this.timeout(10000);
  let ns: NamesrvController;
  let nsAddr: string;
  let registry: Registry;
  let reader: RemotingClient;
  const stubs: BrokerStub[] = [];

  async function start(overrides: Record<string, unknown> = {}): Promise<void> {
    registry = new Registry();
    ns = new NamesrvController(resolveNamesrvOptions({ listenPort: 0, bindAddress: '127.0.0.1', ...overrides }), {
      logger: pino({ level: 'silent' }),
      registry,
    });
    nsAddr = `127.0.0.1:${await ns.start()}`;
    reader = new RemotingClient();
  }

  function broker(name: string, id = 0, port = 10911): BrokerStub {
    const s = new BrokerStub(
      { brokerName: name, brokerAddr: `127.0.0.1:${port}`, brokerId: id, haServerAddr: `127.0.0.1:${port + 1}`, clusterName: 'DefaultCluster' },
      nsAddr,
    );
    stubs.push(s);
    return s;
  }

  async function route(topic: string): Promise<{ code: number; remark?: string; data?: TopicRouteData }> {
    const res = await reader.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    return { code: res.code, remark: res.remark, data: res.body ? (parseFastJson(res.body.toString()) as TopicRouteData) : undefined };
  }

  async function call(code: number, ext: Record<string, string | number | boolean> = {}, body?: Buffer): Promise<RemotingCommand> {
    return reader.invokeSync(nsAddr, RemotingCommand.createRequest(code, ext, body));
  }

  afterEach(async () => {
    for (const s of stubs.splice(0)) await s.close();
    await reader.close();
    await ns.shutdown();
  });

  it('serves the route a broker registered over TCP, with quoted brokerAddrs keys', async () => {
    await start();
    const t = uniqueName('Route');
    const res = await broker('broker-a').register([topicConfig(t)]);
    expect(res.code).to.equal(ResponseCode.SUCCESS);
    expect(res.extFields ?? {}).to.deep.equal({});
    const r = await reader.invokeSync(nsAddr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: t }));
    const text = r.body!.toString();
    expect(text).to.contain('"brokerAddrs":{"0":"127.0.0.1:10911"}');
    expect(JSON.parse(text)).to.deep.equal({
      brokerDatas: [{ brokerAddrs: { '0': '127.0.0.1:10911' }, brokerName: 'broker-a', cluster: 'DefaultCluster' }],
      filterServerTable: {},
      queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }],
    });
  });

  it('answers TOPIC_NOT_EXIST (17) with the remark for an unknown topic, and REQUEST_CODE_NOT_SUPPORTED for unknown codes', async () => {
    await start();
    const r = await route('NoSuchTopic');
    expect(r.code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
    expect(r.remark).to.match(/^No topic route info in name server for the topic: NoSuchTopic/);
    const u = await call(RequestCode.SEND_MESSAGE_V2);
    expect(u.code).to.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    const missing = await call(RequestCode.GET_ROUTEINFO_BY_TOPIC);
    expect([missing.code, missing.remark]).to.deep.equal([ResponseCode.SYSTEM_ERROR, 'the custom field <topic> is null']);
  });

  it('accepts the compressed register body and rejects a body whose crc32 does not match', async () => {
    await start();
    const t = uniqueName('Zip');
    expect((await broker('broker-z').register([topicConfig(t, 2)], 1, true)).code).to.equal(0);
    expect((await route(t)).data?.queueDatas[0].writeQueueNums).to.equal(2);
    const body = Buffer.from('{}');
    const bad = await call(
      RequestCode.REGISTER_BROKER,
      { brokerName: 'b', brokerAddr: '127.0.0.1:1', clusterName: 'C', haServerAddr: '127.0.0.1:2', brokerId: 0, bodyCrc32: 12345 },
      body,
    );
    expect([bad.code, bad.remark]).to.deep.equal([ResponseCode.SYSTEM_ERROR, 'crc32 not match']);
  });

  it('returns the live master\'s HA address and address to a registering slave', async () => {
    await start();
    const t = uniqueName('Ha');
    await broker('broker-a', 0, 10911).register([topicConfig(t)]);
    const res = await broker('broker-a', 1, 20911).register([topicConfig(t)]);
    expect(res.code).to.equal(0);
    expect(res.extFields).to.deep.equal({ haServerAddr: '127.0.0.1:10912', masterAddr: '127.0.0.1:10911' });
    expect((await route(t)).data?.brokerDatas[0].brokerAddrs).to.deep.equal({ '0': '127.0.0.1:10911', '1': '127.0.0.1:20911' });
  });

  it('drops a broker at once when its connection closes', async () => {
    await start();
    const t = uniqueName('Close');
    const a = broker('broker-a', 0, 10911);
    await a.register([topicConfig(t)]);
    await broker('broker-b', 0, 11911).register([topicConfig(t)]);
    expect((await route(t)).data?.brokerDatas).to.have.length(2);
    await a.close();
    const end = Date.now() + 3000;
    let names: string[] = [];
    while (Date.now() < end) {
      names = ((await route(t)).data?.brokerDatas ?? []).map((b) => b.brokerName);
      if (names.length === 1) break;
      await sleep(10);
    }
    expect(names).to.deep.equal(['broker-b']);
    expect(ns.routes.liveBrokerCount()).to.equal(1);
  });

  it('expires a broker that stops registering (short brokerChannelExpiredTime), and keeps one that re-registers', async () => {
    await start({ scanNotActiveBrokerInterval: 50, brokerChannelExpiredTime: 400 });
    const t = uniqueName('Expire');
    const silent = broker('broker-silent', 0, 10911);
    const chatty = broker('broker-chatty', 0, 11911);
    await silent.register([topicConfig(t)]);
    await chatty.register([topicConfig(t)]);
    const end = Date.now() + 4000;
    let names: string[] = ['x', 'y'];
    while (Date.now() < end && names.length !== 1) {
      await chatty.register([topicConfig(t)]);
      await sleep(100);
      names = ((await route(t)).data?.brokerDatas ?? []).map((b) => b.brokerName);
    }
    expect(names).to.deep.equal(['broker-chatty']);
    // The expired broker's connection was closed by the name server; its next call reconnects and re-registers.
    expect((await silent.register([topicConfig(t)])).code).to.equal(0);
    expect(((await route(t)).data?.brokerDatas ?? []).length).to.equal(2);
  });

  it('shows wiped write permission in the route and restores it', async () => {
    await start();
    const t = uniqueName('Wipe');
    await broker('broker-a').register([topicConfig(t)]);
    const wipe = await call(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' });
    expect([wipe.code, wipe.extFields?.wipeTopicCount]).to.deep.equal([0, '1']);
    expect((await route(t)).data?.queueDatas[0].perm).to.equal(4);
    const add = await call(RequestCode.ADD_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' });
    expect([add.code, add.extFields?.addTopicCount]).to.deep.equal([0, '1']);
    expect((await route(t)).data?.queueDatas[0].perm).to.equal(6);
  });

  it('serves cluster info, topic lists, topic deletion, unregistration and data versions', async () => {
    await start();
    const t1 = uniqueName('L1');
    const t2 = uniqueName('L2');
    const a = broker('broker-a');
    await a.register([topicConfig(t1), topicConfig(t2)], 5);
    const ci = parseFastJson((await call(RequestCode.GET_BROKER_CLUSTER_INFO)).body!.toString()) as ClusterInfo;
    expect(ci.clusterAddrTable).to.deep.equal({ DefaultCluster: ['broker-a'] });
    expect(ci.brokerAddrTable['broker-a'].brokerAddrs).to.deep.equal({ '0': '127.0.0.1:10911' });
    const all = JSON.parse((await call(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).body!.toString()) as { topicList: string[] };
    expect(all.topicList.sort()).to.deep.equal([t1, t2].sort());
    const byCluster = JSON.parse((await call(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'DefaultCluster' })).body!.toString());
    expect(byCluster.topicList.sort()).to.deep.equal([t1, t2].sort());

    const ident = { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', clusterName: 'DefaultCluster', brokerId: 0 };
    const same = await call(RequestCode.QUERY_DATA_VERSION, ident, Buffer.from(toJson({ timestamp: 1_700_000_000_000, counter: 5 })));
    expect(same.extFields?.changed).to.equal('false');
    expect(JSON.parse(same.body!.toString())).to.deep.equal({ timestamp: 1_700_000_000_000, counter: 5 });
    const changed = await call(RequestCode.QUERY_DATA_VERSION, ident, Buffer.from('{"timestamp":1,"counter":6}'));
    expect(changed.extFields?.changed).to.equal('true');

    expect((await call(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: t1 })).code).to.equal(0);
    expect((await route(t1)).code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
    expect((await call(RequestCode.UNREGISTER_BROKER, ident)).code).to.equal(0);
    expect((await route(t2)).code).to.equal(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('stores KV config in memory, and gives a registering broker the ORDER_TOPIC_CONFIG table', async () => {
    await start({ orderMessageEnable: true });
    const t = uniqueName('Kv');
    expect((await call(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: t, value: 'broker-a:4' })).code).to.equal(0);
    const got = await call(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: t });
    expect([got.code, got.extFields?.value]).to.deep.equal([0, 'broker-a:4']);
    const reg = await broker('broker-a').register([topicConfig(t)]);
    expect(JSON.parse(reg.body!.toString())).to.deep.equal({ table: { [t]: 'broker-a:4' } });
    expect((await route(t)).data?.orderTopicConf).to.equal('broker-a:4');
    expect((await call(RequestCode.DELETE_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: t })).code).to.equal(0);
    expect((await call(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: t })).code).to.equal(ResponseCode.QUERY_NOT_FOUND);
  });

  it('exposes live brokers, topics and requests by code as metrics', async () => {
    await start();
    const t = uniqueName('M');
    await broker('broker-a').register([topicConfig(t)]);
    await route(t);
    const text = await registry.metrics();
    expect(text).to.match(/^mq_namesrv_brokers_live 1$/m);
    expect(text).to.match(/^mq_namesrv_topics 1$/m);
    expect(text).to.match(/^mq_remoting_requests_total\{name="namesrv",code="GET_ROUTEINFO_BY_TOPIC"\} 1$/m);
    expect(text).to.match(/^mq_remoting_requests_total\{name="namesrv",code="REGISTER_BROKER"\} 1$/m);
  });
});
