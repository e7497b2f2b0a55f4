/** The gateway's options: one spec with the client's and Redis keys, unknown keys and bad combinations rejected. */
import { expect } from 'chai';
import { clientOptionsOf, redisOptionsOf, resolveGatewayOptions } from '../../src/gateway';

describe('gateway/options', () => {
  it('has the documented defaults and passes client and Redis keys through', () => {
    const o = resolveGatewayOptions({ namesrvAddr: '10.0.0.1:9876', coord: 'redis', redisUrl: 'redis://r:6379/1', receiptSecret: 'k', maxMessageSize: '1048576' });
    expect([o.listenPort, o.maxMessageSize, o.maxReconsumeTimes, o.coord]).to.deep.equal([9090, 1048576, 16, 'redis']);
    expect(clientOptionsOf(o)).to.deep.include({ namesrvAddr: '10.0.0.1:9876', maxMessageSize: 1048576 });
    expect(redisOptionsOf(o)).to.deep.include({ redisUrl: 'redis://r:6379/1' });
    expect(resolveGatewayOptions({}).maxMessageSize).to.equal(8 * 1024 * 1024);
  });

  it('rejects unknown keys and bad combinations, naming the option', () => {
    expect(() => resolveGatewayOptions({ listenPrt: 1 })).to.throw(/unknown option listenPrt/);
    expect(() => resolveGatewayOptions({ coord: 'etcd' })).to.throw(/coord must be one of memory, redis/);
    // Replicas with random receipt keys would refuse each other's receipts.
    expect(() => resolveGatewayOptions({ coord: 'redis' })).to.throw(/coord=redis needs receiptSecret/);
    expect(resolveGatewayOptions({}).groupStateTtlMs).to.equal(7 * 24 * 3600 * 1000);
    expect(() => resolveGatewayOptions({ tlsCertFile: '/x.pem' })).to.throw(/tlsCertFile and tlsKeyFile/);
    expect(() => resolveGatewayOptions({ maxInflightBytesPerConnection: 1024 * 1024 })).to.throw(/must hold one largest frame/);
    expect(() => resolveGatewayOptions({ maxInflightBytes: 16 * 1024 * 1024 })).to.throw(/must not exceed maxInflightBytes/);
  });
});
