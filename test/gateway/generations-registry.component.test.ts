/** The shared generation registry in coord (real Redis, and memory): the first writer of a generation wins. */
import { expect } from 'chai';
import { MemoryCoordinator, RedisCoordinator } from '../../src/coord';
import type { Coordinator } from '../../src/coord';
import { uniqueName } from '../helpers/proc';
import { redisAvailable, startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';

describe('coord: generation registry (component)', function () {
  this.timeout(30000);
  let redis: TestRedis | undefined;
  const opened: Coordinator[] = [];

  before(async function () {
    if (!redisAvailable()) {
      if (process.env.MQ_REQUIRE_TOOLS === '1') throw new Error('redis-server missing');
      this.skip();
    }
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    await redis?.dispose();
  });

  async function check(a: Coordinator, b: Coordinator): Promise<void> {
    if (!a.generationsAdd || !a.generationsRead || !a.generationsSet || !b.generationsAdd || !b.generationsRead) throw new Error('no registry');
    expect(await a.generationsAdd('-', '{"id":1}')).to.equal('{"id":1}');
    // A second replica registering the same generation gets the first one's entry.
    expect(await b.generationsAdd('-', '{"id":9}')).to.equal('{"id":1}');
    expect(await b.generationsAdd('gabc', '{"id":2}')).to.equal('{"id":2}');
    await a.generationsSet('-', '{"id":1,"drainedAt":5}');
    expect(await b.generationsRead()).to.deep.equal({ '-': '{"id":1,"drainedAt":5}', gabc: '{"id":2}' });
  }

  it('Redis: shared by replicas (two connections), kept across reconnects', async () => {
    const prefix = uniqueName('mqgreg');
    const open = async () => {
      const c = await RedisCoordinator.connect({ redisUrl: redis?.url, redisKeyPrefix: prefix });
      opened.push(c);
      return c;
    };
    const a = await open();
    await check(a, await open());
    await a.close();
    opened.splice(opened.indexOf(a), 1);
    const c = await open();
    expect(Object.keys((await c.generationsRead?.()) ?? {}).sort(), 'after a reconnect (a restarted gateway)').to.deep.equal(['-', 'gabc']);
  });

  it('memory: one process', async () => {
    const m = new MemoryCoordinator({ groupStateTtlMs: 60000 });
    await check(m, m);
  });
});
