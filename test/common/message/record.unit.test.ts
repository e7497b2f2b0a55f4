import { expect } from 'chai';
import {
  BLANK_MAGIC,
  MESSAGE_MAGIC,
  createOffsetMsgId,
  decodeOffsetMsgId,
  createUniqId,
  decodeRecord,
  decodeRecords,
  encodeRecord,
  encodeRecordParts,
  patchRecordHead,
  recordSize,
  bodyCrc,
} from '../../../src/common/message';

/**
 * Golden record written by hand from the ref §4.1 table (IPv4 hosts, 91 fixed bytes + body "hi" + topic "T1" +
 * properties "TAGS\u0001A"). BODYCRC = CRC32("hi") & 0x7FFFFFFF = 0x58932AAC (java.util.zip.CRC32).
 */
const GOLDEN = [
  '00000065', // TOTALSIZE 101
  'daa320a7', // MAGICCODE
  '58932aac', // BODYCRC
  '00000003', // QUEUEID
  '00000007', // FLAG
  '0000000000000005', // QUEUEOFFSET
  '0000000000001000', // PHYSICALOFFSET 4096
  '00000000', // SYSFLAG
  '0000018bcfe56800', // BORNTIMESTAMP 1700000000000
  '7f000001' + '0000c350', // BORNHOST 127.0.0.1:50000
  '0000018bcfe56be8', // STORETIMESTAMP 1700000001000
  'c0a80001' + '00002a9f', // STOREHOST 192.168.0.1:10911
  '00000001', // RECONSUMETIMES
  '0000000000000000', // PREPARED TRANSACTION OFFSET
  '00000002' + '6869', // BODY "hi"
  '02' + '5431', // TOPIC "T1"
  '0006' + '544147530141', // PROPERTIES "TAGS\x01A"
].join('');

const FIELDS = {
  bodyCrc: 0x58932aac,
  queueId: 3,
  flag: 7,
  queueOffset: 5,
  physicalOffset: 4096,
  sysFlag: 0,
  bornTimestamp: 1700000000000,
  bornHost: { ip: '127.0.0.1', port: 50000 },
  storeTimestamp: 1700000001000,
  storeHost: { ip: '192.168.0.1', port: 10911 },
  reconsumeTimes: 1,
  preparedTransactionOffset: 0,
  topic: 'T1',
  propertiesString: 'TAGS\u0001A',
};

describe('common/message/record', () => {
  it('encodes a record byte for byte as the ref §4.1 layout', () => {
    const buf = encodeRecord(FIELDS, Buffer.from('hi'));
    expect(buf.toString('hex')).to.equal(GOLDEN);
    expect(buf.length).to.equal(recordSize(0, 2, 2, 6));
    expect(bodyCrc(Buffer.from('hi'))).to.equal(0x58932aac);
  });

  it('decodes the golden bytes into every field', () => {
    const r = decodeRecord(Buffer.from(GOLDEN, 'hex'));
    expect(r.totalSize).to.equal(101);
    expect(r.magic).to.equal(MESSAGE_MAGIC);
    expect(r.bodyCrc).to.equal(0x58932aac);
    expect(r.queueId).to.equal(3);
    expect(r.flag).to.equal(7);
    expect(r.queueOffset).to.equal(5);
    expect(r.physicalOffset).to.equal(4096);
    expect(r.bornTimestamp).to.equal(1700000000000);
    expect(r.bornHost).to.deep.equal({ ip: '127.0.0.1', port: 50000 });
    expect(r.storeTimestamp).to.equal(1700000001000);
    expect(r.storeHost).to.deep.equal({ ip: '192.168.0.1', port: 10911 });
    expect(r.reconsumeTimes).to.equal(1);
    expect(r.body.toString()).to.equal('hi');
    expect(r.topic).to.equal('T1');
    expect(r.properties).to.deep.equal({ TAGS: 'A' });
  });

  it('writes head and tail around an untouched body, and patches offsets and store time in place', () => {
    const body = Buffer.from('hi');
    const parts = encodeRecordParts({ ...FIELDS, queueOffset: 0, physicalOffset: 0, storeTimestamp: 0, bodyLength: 2 });
    patchRecordHead(parts.head, 5, 4096, 1700000001000);
    expect(Buffer.concat([parts.head, body, parts.tail]).toString('hex')).to.equal(GOLDEN);
    expect(parts.totalSize).to.equal(101);
  });

  it('handles IPv6 hosts when the sysFlag bits say so', () => {
    const buf = encodeRecord(
      { ...FIELDS, sysFlag: 0x30, bornHost: { ip: '::1', port: 1 }, storeHost: { ip: 'fe80::2', port: 2 } },
      Buffer.from('x'),
    );
    expect(buf.length).to.equal(91 + 24 + 1 + 2 + 6);
    const r = decodeRecord(buf);
    expect(r.bornHost.ip).to.equal('0:0:0:0:0:0:0:1');
    expect(r.storeHost).to.deep.equal({ ip: 'fe80:0:0:0:0:0:0:2', port: 2 });
    expect(r.body.toString()).to.equal('x');
  });

  it('decodes back-to-back records and rejects BLANK, truncated and inconsistent ones', () => {
    const a = Buffer.from(GOLDEN, 'hex');
    const two = decodeRecords(Buffer.concat([a, a]));
    expect(two).to.have.length(2);
    const blank = Buffer.alloc(8);
    blank.writeInt32BE(8, 0);
    blank.writeInt32BE(BLANK_MAGIC, 4);
    expect(() => decodeRecord(Buffer.concat([blank, Buffer.alloc(100)]))).to.throw(/bad magic/);
    expect(() => decodeRecord(a.subarray(0, 100))).to.throw(/does not fit|needs 91/);
    const bad = Buffer.from(a);
    bad.writeInt16BE(7, 99 - 6 + 1); // PROPLEN no longer ends the record at TOTALSIZE
    expect(() => decodeRecord(bad)).to.throw();
  });
});

describe('common/message/msgid', () => {
  it('builds the 32-hex offset msgId of ref §4.5 and decodes it back', () => {
    const id = createOffsetMsgId({ ip: '192.168.0.1', port: 10911 }, 4096);
    expect(id).to.equal('C0A8000100002A9F0000000000001000');
    expect(decodeOffsetMsgId(id)).to.deep.equal({ host: { ip: '192.168.0.1', port: 10911 }, physicalOffset: 4096 });
    const big = createOffsetMsgId({ ip: '10.0.0.1', port: 1 }, 2 ** 40 + 3);
    expect(decodeOffsetMsgId(big).physicalOffset).to.equal(2 ** 40 + 3);
    expect(() => decodeOffsetMsgId('XYZ')).to.throw(/32 or 56/);
  });

  it('creates distinct 32-hex unique ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => createUniqId()));
    expect(ids.size).to.equal(1000);
    for (const id of ids) expect(id).to.match(/^[0-9A-F]{32}$/);
  });

  it('lays a unique id out as ip:4 pid:2 hash:4 msSinceMonthStart:4 counter:2 (ref §4.6)', () => {
    const before = Date.now();
    const a = Buffer.from(createUniqId(), 'hex');
    const b = Buffer.from(createUniqId(), 'hex');
    const after = Date.now();
    expect(a.length).to.equal(16);
    // The per-process part is the same for every id; the pid sits at bytes 4..5.
    expect(a.subarray(0, 10).equals(b.subarray(0, 10))).to.equal(true);
    expect(a.readUInt16BE(4)).to.equal(process.pid & 0xffff);
    const d = new Date(before);
    const monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    const ms = a.readUInt32BE(10);
    expect(ms).to.be.at.least((before - monthStart) >>> 0);
    expect(ms).to.be.at.most((after - monthStart) >>> 0);
    // Consecutive ids count up by one (modulo 2^16).
    expect(b.readUInt16BE(14)).to.equal((a.readUInt16BE(14) + 1) & 0xffff);
  });
});
