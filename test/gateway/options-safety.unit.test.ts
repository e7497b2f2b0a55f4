/** The admission-control and secret options: defaults, and the combinations that are refused with the option named. */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { resolveGatewayOptions } from '../../src/gateway';

function refusal(input: Record<string, unknown>): string {
  try {
    resolveGatewayOptions(input);
    return 'accepted';
  } catch (err) {
    return MqError.is(err) ? String(err.details.option) : String(err);
  }
}

describe('gateway/options: admission control and secrets', () => {
  it('has bounded defaults', () => {
    const o = resolveGatewayOptions({});
    expect(o.httpHost).to.equal('127.0.0.1');
    expect(o.maxInflightReplyBytes).to.equal(256 * 1024 * 1024);
    expect(o.frameReadTimeoutMs).to.equal(10000);
    expect(o.frameMinBytesPerSecond).to.equal(65536);
    expect(o.maxConnections).to.equal(10000);
    expect(o.maxConnectionsPerAddress).to.equal(1000);
    expect(o.connectionIdleTimeoutMs).to.be.above(o.maxWaitMs);
  });

  it('refuses combinations that would break clients or leak secrets, naming the option', () => {
    expect(refusal({ connectionIdleTimeoutMs: 30000 })).to.equal('connectionIdleTimeoutMs');
    expect(refusal({ connectionIdleTimeoutMs: 0 })).to.equal('accepted');
    expect(refusal({ maxInflightReplyBytes: 1024 * 1024 })).to.equal('maxInflightReplyBytes');
    expect(refusal({ maxConnections: 10, maxConnectionsPerAddress: 11 })).to.equal('maxConnectionsPerAddress');
    expect(refusal({ receiptSecret: 'a', receiptSecretFile: '/x' })).to.equal('receiptSecretFile');
    expect(refusal({ tlsCaFile: '/ca.pem' })).to.equal('tlsCaFile');
    expect(refusal({ frameMinBytesPerSecond: 0 })).to.equal('frameMinBytesPerSecond');
  });
});
