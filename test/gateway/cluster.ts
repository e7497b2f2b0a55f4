/**
 * Real processes for the gateway's integration tests: a name server, broker sets (masters) and gateway replicas,
 * each started with `mq` on port 0 and stopped by pid, plus an admin MQClient to create topics on every broker set.
 */
import pino from 'pino';
import { MqError, sleep } from '../../src/common';
import { MQClient } from '../../src/client';
import { spawnMq, tempDir, uniqueName } from '../helpers/proc';
import { freePort } from '../helpers/redis';
import type { MqProcess } from '../helpers/proc';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

export interface TestCluster {
  ns: MqProcess;
  brokers: MqProcess[];
  namesrvAddr: string;
  admin: MQClient;
  /** Creates a topic with `queues` queues on every broker set and waits until it is routed there. */
  createTopic(prefix: string, queues: number): Promise<string>;
  stop(): Promise<void>;
}

/** Broker flags that keep tests fast: small commit-log files, quick re-registration. */
export const FAST_BROKER = ['--httpPort=-1', `--mappedFileSizeCommitLog=${64 * 1024 * 1024}`, '--registerNameServerPeriod=1000'];

export async function startCluster(brokerSets: string[], brokerExtra: string[] = []): Promise<TestCluster> {
  const dirs = brokerSets.map(() => tempDir('mq-gw-it-'));
  const ns = await spawnMq(['namesrv', '--listenPort=0', '--httpPort=-1']);
  const namesrvAddr = `127.0.0.1:${ns.fields.listenPort}`;
  const brokers: MqProcess[] = [];
  for (const [i, name] of brokerSets.entries()) brokers.push(await startBroker(name, dirs[i].dir, namesrvAddr, brokerExtra));
  const admin = new MQClient({ namesrvAddr, instanceName: uniqueName('admin') }, { logger });
  await admin.start();
  // Wait (bounded) until every broker set is registered.
  let cluster = '';
  for (let i = 0; i < 100; i++) {
    const info = await admin.getClusterInfo().catch(() => null);
    const names = info ? Object.keys(info.brokerAddrTable) : [];
    if (info && brokerSets.every((b) => names.includes(b))) {
      cluster = Object.keys(info.clusterAddrTable)[0];
      break;
    }
    await sleep(100);
  }
  if (cluster === '') throw new Error('broker sets did not register with the name server');
  return {
    ns,
    brokers,
    namesrvAddr,
    admin,
    async createTopic(prefix: string, queues: number): Promise<string> {
      const topic = uniqueName(prefix);
      await admin.createTopic({ topic, clusterName: cluster, writeQueueNums: queues, readQueueNums: queues });
      for (let i = 0; i < 100; i++) {
        try {
          const r = await admin.getRoute(topic);
          if (r.publishQueues.length === queues * brokerSets.length) return topic;
        } catch (err) {
          if (!MqError.is(err, 'TOPIC_NOT_FOUND')) throw err;
        }
        await sleep(100);
      }
      throw new Error(`route of ${topic} never appeared`);
    },
    async stop(): Promise<void> {
      await admin.shutdown();
      await Promise.all(brokers.map((b) => b.stop()));
      await ns.stop();
      for (const d of dirs) d.cleanup();
    },
  };
}

/**
 * Starts one broker. With listenPort=0 the broker would put HA on the bound port + 1, which another process may
 * hold, so the HA port is picked free too; a start that still loses a port race is tried again (3 times at most).
 */
async function startBroker(name: string, dir: string, namesrvAddr: string, extra: string[]): Promise<MqProcess> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await spawnMq(
        ['broker', `--brokerName=${name}`, `--storePathRootDir=${dir}`, `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, ...FAST_BROKER, ...extra],
        { readyTimeoutMs: 20000 },
      );
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** Starts `mq gateway` against the cluster; `extra` are more `--key=value` flags. */
export function startGateway(namesrvAddr: string, extra: string[] = []): Promise<MqProcess> {
  return spawnMq(['gateway', `--namesrvAddr=${namesrvAddr}`, '--listenPort=0', '--listenHost=127.0.0.1', '--httpPort=0', ...extra], {
    readyTimeoutMs: 20000,
  });
}

/** Reads `/metrics` of a process that printed httpPort. */
export async function scrape(p: MqProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${p.fields.httpPort}/metrics`);
  return res.text();
}
