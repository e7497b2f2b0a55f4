import { expect } from 'chai';
import { MqError } from '../../../src/common';
import { extBool, extInt, extLong, extString } from '../../../src/remoting/header/fields';
import { decodeQueryMessageHeader } from '../../../src/remoting/header/query-message';
import { decodeRegisterBrokerRequestHeader } from '../../../src/remoting/header/namesrv/register-broker';

describe('remoting/header/fields', () => {
  it('coerces strings, numbers and booleans (ali-ons sends raw values)', () => {
    const ext = { s: 'x', n: 42, ns: '-7', b: true, bs: 'TRUE', bf: 'yes', big: '1700000000000123' };
    expect(extString(ext, 'n')).to.equal('42');
    expect(extInt(ext, 'n')).to.equal(42);
    expect(extInt(ext, 'ns')).to.equal(-7);
    expect(extLong(ext, 'big')).to.equal(1700000000000123);
    expect(extBool(ext, 'b')).to.equal(true);
    expect(extBool(ext, 'bs')).to.equal(true);
    // Java's Boolean.parseBoolean: only "true" is true.
    expect(extBool(ext, 'bf')).to.equal(false);
  });

  it('throws Java\'s "the custom field <x> is null" for a missing required field', () => {
    expect(() => extString({}, 'topic')).to.throw(MqError, 'the custom field <topic> is null');
    expect(() => extInt(undefined, 'queueId')).to.throw(MqError, 'the custom field <queueId> is null');
    try {
      extLong({ other: '1' }, 'offset');
    } catch (err) {
      expect((err as MqError).code).to.equal('INVALID_ARGUMENT');
    }
  });

  it('returns undefined for a missing optional field', () => {
    expect(extString({}, 'x', false)).to.equal(undefined);
    expect(extInt({}, 'x', false)).to.equal(undefined);
    expect(extBool({ x: null }, 'x', false)).to.equal(undefined);
  });

  it('rejects non-integers and out-of-range ints', () => {
    expect(() => extInt({ q: 'abc' }, 'q')).to.throw(MqError, 'not a valid integer');
    expect(() => extInt({ q: '1.5' }, 'q')).to.throw(MqError);
    expect(() => extInt({ q: '4294967296' }, 'q')).to.throw(MqError);
  });

  it('accepts every Java long: Long.MAX_VALUE / MIN_VALUE ("no bound", as Apache clients send) clamp to the safe range', () => {
    // DefaultMQProducer.queryMessage(topic, key, max, 0, Long.MAX_VALUE) and mqadmin queryMsgByKey send these.
    expect(extLong({ end: '9223372036854775807' }, 'end')).to.equal(Number.MAX_SAFE_INTEGER);
    expect(extLong({ begin: '-9223372036854775808' }, 'begin')).to.equal(Number.MIN_SAFE_INTEGER);
    expect(extLong({ t: '9007199254740991' }, 't')).to.equal(Number.MAX_SAFE_INTEGER);
    // beyond Java's long range it is no long at all: Long.parseLong throws
    expect(() => extLong({ end: '9223372036854775808' }, 'end')).to.throw(MqError, 'not a valid integer');
    expect(() => extLong({ end: '-9223372036854775809' }, 'end')).to.throw(MqError, 'not a valid integer');
    const h = decodeQueryMessageHeader({ topic: 'T', key: 'k', maxNum: '32', beginTimestamp: '0', endTimestamp: '9223372036854775807' });
    expect(h.endTimestamp).to.equal(Number.MAX_SAFE_INTEGER);
  });

  it('decodes a REGISTER_BROKER header with defaults for the optional fields', () => {
    const h = decodeRegisterBrokerRequestHeader({
      brokerName: 'broker-a',
      brokerAddr: '127.0.0.1:10911',
      clusterName: 'DefaultCluster',
      haServerAddr: '127.0.0.1:10912',
      brokerId: '0',
    });
    expect(h).to.deep.equal({
      brokerName: 'broker-a',
      brokerAddr: '127.0.0.1:10911',
      clusterName: 'DefaultCluster',
      haServerAddr: '127.0.0.1:10912',
      brokerId: 0,
      compressed: false,
      bodyCrc32: 0,
    });
    expect(() => decodeRegisterBrokerRequestHeader({ brokerName: 'b' })).to.throw('the custom field <brokerAddr> is null');
  });
});
