/** toPulledMessages: the fields a consumer reads, with the ids and keys computed on demand. */
import zlib from 'zlib';
import { expect } from 'chai';
import { toPulledMessages } from '../../../src/client';
import { SysFlag, createOffsetMsgId, decodeRecords, encodeRecord } from '../../../src/common/message';

function record(body: Buffer, props: string, physicalOffset: number, sysFlag = 0): Buffer {
  return encodeRecord(
    {
      bodyCrc: 0,
      queueId: 2,
      flag: 0,
      queueOffset: physicalOffset / 1000,
      physicalOffset,
      sysFlag,
      bornTimestamp: 1_700_000_000_000,
      bornHost: { ip: '127.0.0.1', port: 50000 },
      storeTimestamp: 1_700_000_001_000,
      storeHost: { ip: '192.168.0.1', port: 10911 },
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      topic: 'T1',
      propertiesString: props,
    },
    body,
  );
}

describe('client/consumer toPulledMessages', () => {
  it('gives every field of the record plus msgId, uniqId, tags, keys and the broker name', () => {
    const buf = Buffer.concat([
      record(Buffer.from('hello'), 'TAGS\u0001A\u0002KEYS\u0001k1  k2\u0002UNIQ_KEY\u0001U1\u0002', 4000),
      record(zlib.deflateSync(Buffer.from('zipped')), '', 5000, SysFlag.COMPRESSED),
    ]);
    const [a, b] = toPulledMessages(decodeRecords(buf), 'broker-a');
    expect(a.body.toString()).to.equal('hello');
    expect(a.msgId).to.equal(createOffsetMsgId({ ip: '192.168.0.1', port: 10911 }, 4000));
    expect(a.tags).to.equal('A');
    expect(a.uniqId).to.equal('U1');
    expect(a.keys).to.deep.equal(['k1', 'k2']);
    expect(a.brokerName).to.equal('broker-a');
    expect(a.queueOffset).to.equal(4);
    expect(a.storeHost).to.deep.equal({ ip: '192.168.0.1', port: 10911 });
    expect(b.body.toString()).to.equal('zipped');
    expect(b.keys).to.deep.equal([]);
    expect(b.tags).to.equal(undefined);
    // msgId and keys may be set (a consumer that rewrites them) and show in JSON as plain fields.
    b.keys = ['x'];
    expect(b.keys).to.deep.equal(['x']);
    const json = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
    expect(json.msgId).to.equal(a.msgId);
    expect(json.keys).to.deep.equal(['k1', 'k2']);
    expect(json.topic).to.equal('T1');
  });
});
