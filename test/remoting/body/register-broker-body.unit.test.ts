import { expect } from 'chai';
import zlib from 'zlib';
import {
  bodyCrc32,
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBody,
} from '../../../src/remoting/body/register-broker-body';
import type { RegisterBrokerBody } from '../../../src/remoting/body/register-broker-body';

const BODY: RegisterBrokerBody = {
  topicConfigSerializeWrapper: {
    dataVersion: { timestamp: 1700000000000, counter: 12 },
    topicConfigTable: {
      TopicTest: {
        topicName: 'TopicTest',
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      },
    },
  },
  filterServerList: [],
};

describe('remoting/body/register-broker-body', () => {
  it('decodes the reference sample (ref §3.3) and fills defaults for missing fields', () => {
    const text =
      '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":12,"timestamp":1700000000000},' +
      '"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",' +
      '"topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},"Bare":{}}}}';
    const b = decodeRegisterBrokerBody(Buffer.from(text), false);
    expect(b.topicConfigSerializeWrapper.topicConfigTable.TopicTest).to.deep.equal(BODY.topicConfigSerializeWrapper.topicConfigTable.TopicTest);
    expect(b.topicConfigSerializeWrapper.topicConfigTable.Bare).to.include({ topicName: 'Bare', readQueueNums: 16, perm: 6 });
    expect(b.topicConfigSerializeWrapper.dataVersion).to.deep.equal({ timestamp: 1700000000000, counter: 12 });
  });

  it('round-trips JSON and the compressed form', () => {
    expect(decodeRegisterBrokerBody(encodeRegisterBrokerBody(BODY), false)).to.deep.equal(BODY);
    const z = encodeRegisterBrokerBody(BODY, true);
    // The compressed form is a zlib stream whose first field is the DataVersion JSON with an int32 length.
    const raw = zlib.inflateSync(z);
    expect(raw.toString('utf8', 4, 4 + raw.readInt32BE(0))).to.equal('{"timestamp":1700000000000,"counter":12}');
    expect(decodeRegisterBrokerBody(z, true)).to.deep.equal(BODY);
  });

  it('accepts a bare TopicConfigSerializeWrapper (old senders) and an empty body', () => {
    const bare = JSON.stringify(BODY.topicConfigSerializeWrapper);
    expect(decodeRegisterBrokerBody(Buffer.from(bare), false).topicConfigSerializeWrapper).to.deep.equal(BODY.topicConfigSerializeWrapper);
    expect(decodeRegisterBrokerBody(undefined, false).topicConfigSerializeWrapper.topicConfigTable).to.deep.equal({});
  });

  it('rejects garbage with INVALID_ARGUMENT', () => {
    expect(() => decodeRegisterBrokerBody(Buffer.from('{not json'), false)).to.throw('not valid JSON');
    expect(() => decodeRegisterBrokerBody(Buffer.from('nope'), true)).to.throw('does not inflate');
  });

  it('computes the masked CRC32 Java sends in bodyCrc32', () => {
    // CRC32("123456789") = 0xCBF43926; masked with 0x7FFFFFFF = 0x4BF43926.
    expect(bodyCrc32(Buffer.from('123456789'))).to.equal(0x4bf43926);
  });
});
