/**
 * The write freeze of a blue/green switch survives a broker restart: `brokerPermission=4` set through
 * UPDATE_BROKER_CONFIG is stored in the broker's store directory (config/broker-overrides.properties) and applied at
 * start; wipeWritePerm / addWritePerm keep working on the name servers. Real name server, real broker, real restart.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import { sleep } from '../../src/common';
import { AdminClient } from '../../src/client/admin';
import { admin } from '../cli/admin/ops-cluster';
import { Topology } from './topology';
import { until } from '../helpers/wait';


describe('broker: write freeze that survives a restart (integration)', function () {
  this.timeout(120000);
  let topo: Topology | undefined;

  afterEach(async () => {
    await topo?.stop().catch(() => undefined);
    topo = undefined;
  });

  it('brokerPermission=4 stays after a restart until set back to 6; wipeWritePerm/addWritePerm still work', async () => {
    topo = new Topology();
    await topo.startNamesrv();
    const master = await topo.addBroker('broker-a', 'ASYNC_MASTER', [`--mappedFileSizeCommitLog=${16 * 1024 * 1024}`]);
    await master.start();
    await topo.startAdmin();
    await topo.waitRegistered(['broker-a']);
    const t = topo;
    const topic = await t.createTopic('GwFreeze', 2, 1);
    const writable = async (): Promise<number> => (await t.admin.getRoute(topic)).publishQueues.length;
    const ac = new AdminClient({ namesrvAddr: t.namesrvAddr });
    try {
      await ac.updateBrokerConfig(master.addr, { brokerPermission: '4' });
      await until(async () => (await writable()) === 0, 15000, 'the route to become read-only');
      const file = path.join(master.dir, 'config', 'broker-overrides.properties');
      expect(fs.readFileSync(file, 'utf8')).to.match(/^brokerPermission=4$/m);

      await master.stop();
      await master.start();
      await t.waitRegistered(['broker-a']);
      expect((await ac.brokerConfig(master.addr)).brokerPermission).to.equal('4');
      // The restarted broker registers read-only: its route never offers a writable queue again.
      await sleep(1500);
      expect(await writable(), 'writable queues after the restart').to.equal(0);

      await ac.updateBrokerConfig(master.addr, { brokerPermission: '6' });
      await until(async () => (await writable()) === 2, 15000, 'the route to become writable again');

      const wipe = await admin(['wipeWritePerm', '-n', t.namesrvAddr, '-b', 'broker-a']);
      expect(wipe.code, wipe.stderr).to.equal(0);
      await until(async () => (await writable()) === 0, 15000, 'wipeWritePerm to take effect');
      const add = await admin(['addWritePerm', '-n', t.namesrvAddr, '-b', 'broker-a']);
      expect(add.code, add.stderr).to.equal(0);
      await until(async () => (await writable()) === 2, 15000, 'addWritePerm to take effect');
    } finally {
      await ac.close();
    }
  });
});
