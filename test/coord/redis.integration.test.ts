import { expect } from 'chai';
import { MqError } from '../../src/common';
import { RedisCoordinator } from '../../src/coord';
import type { Coordinator } from '../../src/coord';
import { uniqueName } from '../helpers/proc';
import { redisAvailable, startRedis } from '../helpers/redis';
import type { TestRedis } from '../helpers/redis';
import { coordConformance } from './conformance';

describe('coord/redis', function () {
  this.timeout(30000);
  let redis: TestRedis;
  const opened: Coordinator[] = [];
  const open = async (): Promise<RedisCoordinator> => {
    const c = await RedisCoordinator.connect({ redisUrl: redis.url, redisKeyPrefix: 'mqgtest' });
    opened.push(c);
    return c;
  };

  before(async function () {
    if (!redisAvailable()) {
      console.log('    redis-server is not installed (Debian: redis-server); skipping the Redis coordination tests');
      this.skip();
    }
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    await redis?.dispose();
  });

  // Each open() is a separate ioredis connection: a separate gateway replica.
  describe('conformance', () => coordConformance({ open }));

  it('fails with retriable UNAVAILABLE while Redis is down, and works again once it is back', async () => {
    const c = await open();
    const q = { group: uniqueName('G'), topic: uniqueName('T'), queueKey: 'broker-a:0' };
    const req = { startOffsetIfNew: 0, minOffset: 0, maxOffset: 100, maxCount: 10, invisibleMs: 0, now: Date.now() };
    expect((await c.claim(q, req))?.from).to.equal(0);
    await redis.stop('SIGKILL');
    const err = await c.claim(q, req).then(
      () => null,
      (e: unknown) => e,
    );
    expect(MqError.is(err, 'UNAVAILABLE')).to.equal(true);
    expect((err as MqError).retriable).to.equal(true);
    expect((err as MqError).message).to.match(/Redis redis:\/\/127\.0\.0\.1:\d+\/0 failed during claim/);
    await redis.restart();
    // ioredis reconnects in the background; the scripts are loaded again on first use (NOSCRIPT fallback).
    let l = null;
    for (let i = 0; i < 100 && !l; i++) {
      l = await c.claim(q, req).catch(() => null);
      if (!l) await new Promise((r) => setTimeout(r, 50));
    }
    // The restarted Redis has no data (no persistence): the group starts again at startOffsetIfNew.
    expect(l?.from).to.equal(0);
  });

  it('lets idle group state expire after groupStateTtlMs and drops the group from the list', async () => {
    const c = await RedisCoordinator.connect({ redisUrl: redis.url, redisKeyPrefix: 'mqgttl' }, { groupStateTtlMs: 300 });
    opened.push(c);
    const q = { group: uniqueName('G'), topic: uniqueName('T'), queueKey: 'broker-a:0' };
    await c.claim(q, { startOffsetIfNew: 0, minOffset: 0, maxOffset: 100, maxCount: 10, invisibleMs: 30000, now: Date.now() });
    expect(await c.groups()).to.include(q.group);
    await new Promise((r) => setTimeout(r, 700));
    expect(await c.inspect(q)).to.equal(null);
    expect(await c.committedOffsets(q.group)).to.deep.equal([]);
    expect(await c.groups()).to.not.include(q.group);
  });

  it('rejects connect with UNAVAILABLE when nothing listens', async () => {
    const err = await RedisCoordinator.connect({ redisUrl: 'redis://127.0.0.1:1/0', redisConnectTimeoutMs: 500 }).then(
      (c) => c.close().then(() => null),
      (e: unknown) => e,
    );
    expect(MqError.is(err, 'UNAVAILABLE')).to.equal(true);
  });
});
