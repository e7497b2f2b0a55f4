/**
 * An independent client against our name server: ali-ons (devDependency) reads routes over its own remoting code
 * (JSON headers, version 121, raw numbers in extFields, JSON2 body parsing; ref ali-ons-notes §2.3, §2.7).
 */
import { expect } from 'chai';
import pino from 'pino';
import { NamesrvController, resolveNamesrvOptions } from '../../src/namesrv';
import { RemotingClient, RemotingCommand, RequestCode, encodeRegisterBrokerBody } from '../../src/remoting';
import { uniqueName } from '../helpers/proc';

interface AliRoute {
  queueDatas: Array<{ brokerName: string; perm: number; readQueueNums: number; writeQueueNums: number }>;
  brokerDatas: Array<{ brokerName: string; brokerAddrs: Record<string, string> }>;
}

interface AliApi {
  ready(): Promise<void>;
  close(): Promise<void>;
  getTopicRouteInfoFromNameServer(topic: string, timeoutMillis: number): Promise<AliRoute>;
}

type AliApiCtor = new (opts: { nameSrv: string; httpclient: object; logger: object }) => AliApi;

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('ali-ons MQClientAPI against NamesrvController', function () {
  this.timeout(15000);
  let ns: NamesrvController;
  let api: AliApi;
  let broker: RemotingClient;

  before(async () => {
    ns = new NamesrvController(resolveNamesrvOptions({ listenPort: 0, bindAddress: '127.0.0.1' }), { logger: pino({ level: 'silent' }) });
    const port = await ns.start();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const MQClientAPI = require('ali-ons/lib/mq_client_api') as AliApiCtor;
    api = new MQClientAPI({ nameSrv: `127.0.0.1:${port}`, httpclient: {}, logger: quiet });
    await api.ready();
    broker = new RemotingClient();
  });

  after(async () => {
    await api?.close();
    await broker?.close();
    await ns?.shutdown();
  });

  it('reads a route registered by a broker, publishable (perm & 2, master "0")', async () => {
    const topic = uniqueName('Ali');
    const body = encodeRegisterBrokerBody({
      topicConfigSerializeWrapper: {
        dataVersion: { timestamp: Date.now(), counter: 1 },
        topicConfigTable: {
          [topic]: { topicName: topic, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false },
        },
      },
      filterServerList: [],
    });
    const reg = RemotingCommand.createRequest(
      RequestCode.REGISTER_BROKER,
      { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', clusterName: 'DefaultCluster', haServerAddr: '127.0.0.1:10912', brokerId: 0 },
      body,
    );
    expect((await broker.invokeSync(`127.0.0.1:${ns.server.listenPort}`, reg)).code).to.equal(0);
    const route = await api.getTopicRouteInfoFromNameServer(topic, 3000);
    expect(route.brokerDatas).to.have.length(1);
    expect(route.brokerDatas[0].brokerAddrs['0']).to.equal('127.0.0.1:10911');
    expect(route.queueDatas[0]).to.include({ brokerName: 'broker-a', perm: 6, writeQueueNums: 4 });
  });

  it('surfaces TOPIC_NOT_EXIST for an unknown topic as an error with code 17', async () => {
    const err = (await api.getTopicRouteInfoFromNameServer(uniqueName('None'), 3000).catch((e: unknown) => e)) as {
      code?: number;
      message?: string;
    };
    expect(err).to.be.instanceOf(Error);
    expect(err.code).to.equal(17);
    expect(err.message).to.contain('No topic route info in name server for the topic');
  });
});
