/**
 * The sample configurations in conf/: every file resolves against its process's options (no unknown key, no bad
 * value), and the 2m-2s-sync broker-a pair starts from its files (ports and the name-server address overridden so
 * that the test runs beside anything else on the machine), registers master and slave, and the slave replicates.
 */
import fs from 'fs';
import path from 'path';
import { expect } from 'chai';
import { BROKER_FULL_SPEC } from '../../src/broker';
import { loadConfig } from '../../src/cli/config';
import { GATEWAY_FULL_SPEC } from '../../src/gateway';
import { NAMESRV_OPTIONS } from '../../src/namesrv';
import { ROOT, spawnMq, stopAll, tempDir } from '../helpers/proc';
import type { MqProcess } from '../helpers/proc';
import { freePort } from '../helpers/redis';
import { adminJson, eventually } from '../cli/admin/ops-cluster';

const CONF = path.join(ROOT, 'conf');

describe('conf/ sample configurations (integration)', function () {
  this.timeout(90000);
  const started: MqProcess[] = [];
  after(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await stopAll();
  });

  it('has dev/, 2m-noslave/ and 2m-2s-sync/, and every file resolves against its options', () => {
    const sets = { dev: ['namesrv', 'broker', 'gateway'], '2m-noslave': ['namesrv', 'broker-a', 'broker-b', 'gateway'], '2m-2s-sync': ['namesrv', 'broker-a', 'broker-a-s', 'broker-b', 'broker-b-s', 'gateway'] };
    const ports = new Map<string, string>();
    for (const [dir, files] of Object.entries(sets)) {
      for (const f of files) {
        const file = path.join(CONF, dir, `${f}.properties`);
        expect(fs.existsSync(file), file).to.equal(true);
        const spec = f === 'namesrv' ? NAMESRV_OPTIONS : f === 'gateway' ? GATEWAY_FULL_SPEC : BROKER_FULL_SPEC;
        const o = loadConfig(['-c', file], spec, f).options as Record<string, unknown>;
        // Processes of one folder never share a port (they can run on one machine as they are).
        for (const k of ['listenPort', 'httpPort']) {
          const key = `${dir}:${String(o[k])}`;
          expect(ports.has(key), `${file} ${k} ${String(o[k])} also in ${ports.get(key)}`).to.equal(false);
          ports.set(key, `${f} ${k}`);
        }
        if (f.startsWith('broker')) {
          expect(o.brokerRole).to.equal(f.endsWith('-s') ? 'SLAVE' : dir === '2m-2s-sync' ? 'SYNC_MASTER' : 'ASYNC_MASTER');
          expect(o.brokerId).to.equal(f.endsWith('-s') ? 1 : 0);
        }
      }
    }
  });

  it('the 2m-2s-sync broker-a master and slave start from their files and replicate', async () => {
    const cwd = tempDir('mq-conf-');
    try {
      const ns = await spawnMq(['namesrv', '-c', path.join(CONF, '2m-2s-sync', 'namesrv.properties'), '--listenPort=0', '--httpPort=0']);
      started.push(ns);
      const nsAddr = `127.0.0.1:${ns.fields.listenPort}`;
      const broker = async (f: string): Promise<MqProcess> => {
        const p = await spawnMq(
          ['broker', '-c', path.join(CONF, '2m-2s-sync', `${f}.properties`), `--namesrvAddr=${nsAddr}`, '--listenPort=0', `--haListenPort=${await freePort()}`, '--httpPort=0',
            `--storePathRootDir=${path.join(cwd.dir, f)}`, '--mappedFileSizeCommitLog=16777216'],
          { readyTimeoutMs: 30000 },
        );
        started.push(p);
        return p;
      };
      const master = await broker('broker-a');
      const slave = await broker('broker-a-s');
      const rows = await eventually(async () => {
        const r = await adminJson<Array<{ cluster: string; brokerName: string; brokerId: number }>>(['clusterList', '-n', nsAddr]);
        return r.length === 2 ? r : undefined;
      }, 'both brokers registered');
      expect(rows.map((r) => `${r.cluster}/${r.brokerName}/${r.brokerId}`)).to.deep.equal(['DefaultCluster/broker-a/0', 'DefaultCluster/broker-a/1']);
      await eventually(async () => /^mq_broker_slave_connected 1$/m.test(await (await fetch(`http://127.0.0.1:${slave.fields.httpPort}/metrics`)).text()), 'slave connected');
      expect(await (await fetch(`http://127.0.0.1:${master.fields.httpPort}/metrics`)).text()).to.match(/^mq_broker_slaves_connected 1$/m);
    } finally {
      await Promise.all(started.splice(0).map((p) => p.stop()));
      cwd.cleanup();
    }
  });
});
