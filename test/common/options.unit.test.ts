import { expect } from 'chai';
import { MqError, opt, resolveOptions, defaultsOf, describeOptions } from '../../src/common';

const spec = {
  listenPort: opt(10911, 'remoting port', { min: 0, max: 65535 }),
  flushDiskType: opt('ASYNC_FLUSH', 'flush mode', { values: ['ASYNC_FLUSH', 'SYNC_FLUSH'] }),
  autoCreateTopicEnable: opt(true, 'create unknown topics on send'),
};

describe('common/options', () => {
  it('fills defaults and freezes the result', () => {
    const o = resolveOptions(spec, {});
    expect(o).to.deep.equal({ listenPort: 10911, flushDiskType: 'ASYNC_FLUSH', autoCreateTopicEnable: true });
    expect(Object.isFrozen(o)).to.equal(true);
    expect(defaultsOf(spec).listenPort).to.equal(10911);
  });

  it('parses strings from properties files and argv', () => {
    const o = resolveOptions(spec, { listenPort: '0', flushDiskType: 'SYNC_FLUSH', autoCreateTopicEnable: 'false' });
    expect(o.listenPort).to.equal(0);
    expect(o.flushDiskType).to.equal('SYNC_FLUSH');
    expect(o.autoCreateTopicEnable).to.equal(false);
  });

  it('rejects unknown keys, naming the key and the known ones', () => {
    expect(() => resolveOptions(spec, { listenPrt: '1' }, 'broker'))
      .to.throw(MqError, /broker: unknown option listenPrt; known options: autoCreateTopicEnable, flushDiskType, listenPort/);
  });

  it('rejects bad numbers, out-of-range numbers, bad booleans and bad enum values', () => {
    expect(() => resolveOptions(spec, { listenPort: 'abc' })).to.throw(/listenPort must be a number/);
    expect(() => resolveOptions(spec, { listenPort: '70000' })).to.throw(/out of range/);
    expect(() => resolveOptions(spec, { autoCreateTopicEnable: 'maybe' })).to.throw(/true or false/);
    expect(() => resolveOptions(spec, { flushDiskType: 'NEVER' })).to.throw(/one of ASYNC_FLUSH, SYNC_FLUSH/);
    try {
      resolveOptions(spec, { listenPort: 'x' });
    } catch (err) {
      expect(MqError.is(err, 'INVALID_OPTION')).to.equal(true);
    }
  });

  it('describes options with their defaults for --help', () => {
    expect(describeOptions(spec)).to.match(/--listenPort\s+remoting port \(default 10911\)/);
  });
});
