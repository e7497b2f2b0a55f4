import { expect } from 'chai';
import {
  BLOCK_HEADER_SIZE,
  BlockDecoder,
  ReportDecoder,
  encodeBlock,
  encodeBlockHeader,
  encodeReport,
} from '../../../src/broker/ha/ha-codec';
import type { TransferBlock } from '../../../src/broker/ha/ha-codec';
import { MqError } from '../../../src/common';

/** A master stream of three blocks: data, heartbeat, data; offsets beyond 2^32 to catch 32-bit mistakes. */
const BASE = 2 ** 33 + 7;
const BLOCKS: TransferBlock[] = [
  { phyOffset: BASE, data: Buffer.from('hello, slave') },
  { phyOffset: BASE + 12, data: Buffer.alloc(0) },
  { phyOffset: BASE + 12, data: Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)) },
];
const STREAM = Buffer.concat(BLOCKS.map((b) => encodeBlock(b.phyOffset, b.data)));
const REPORTS = [0, 1, BASE, Number.MAX_SAFE_INTEGER];
const REPORT_STREAM = Buffer.concat(REPORTS.map((r) => encodeReport(r)));

function feedBlocks(chunks: Buffer[]): TransferBlock[] {
  const d = new BlockDecoder(1024);
  const out: TransferBlock[] = [];
  for (const c of chunks) out.push(...d.push(c));
  expect(d.buffered).to.equal(0);
  return out;
}

function feedReports(chunks: Buffer[]): number[] {
  const d = new ReportDecoder();
  const out: number[] = [];
  for (const c of chunks) out.push(...d.push(c));
  expect(d.buffered).to.equal(0);
  return out;
}

function expectBlocks(got: TransferBlock[]): void {
  expect(got.map((b) => b.phyOffset)).to.deep.equal(BLOCKS.map((b) => b.phyOffset));
  got.forEach((b, i) => expect(b.data.equals(BLOCKS[i].data)).to.equal(true, `block ${i} data`));
}

describe('HA codec (ref §8.2)', () => {
  it('encodes a report as a big-endian int64 and a block header as int64 + int32', () => {
    expect(encodeReport(0x0102030405).toString('hex')).to.equal('0000000102030405');
    expect(encodeBlockHeader(0x10, 0x20).toString('hex')).to.equal('0000000000000010' + '00000020');
    expect(encodeBlockHeader(0, 0).length).to.equal(BLOCK_HEADER_SIZE);
  });

  it('decodes master blocks given as one chunk', () => {
    expectBlocks(feedBlocks([STREAM]));
  });

  it('decodes master blocks fed byte by byte', () => {
    expectBlocks(feedBlocks([...STREAM].map((b) => Buffer.from([b]))));
  });

  it('decodes master blocks split at every position, and in three pieces at many positions', () => {
    for (let i = 0; i <= STREAM.length; i++) expectBlocks(feedBlocks([STREAM.subarray(0, i), STREAM.subarray(i)]));
    for (let i = 0; i <= STREAM.length; i += 7) {
      for (let j = i; j <= STREAM.length; j += 5) {
        expectBlocks(feedBlocks([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)]));
      }
    }
  });

  it('decodes slave reports as one chunk, byte by byte and split everywhere', () => {
    expect(feedReports([REPORT_STREAM])).to.deep.equal(REPORTS);
    expect(feedReports([...REPORT_STREAM].map((b) => Buffer.from([b])))).to.deep.equal(REPORTS);
    for (let i = 0; i <= REPORT_STREAM.length; i++) {
      expect(feedReports([REPORT_STREAM.subarray(0, i), REPORT_STREAM.subarray(i)])).to.deep.equal(REPORTS);
    }
  });

  it('returns nothing for an incomplete block and keeps it for the next chunk', () => {
    const d = new BlockDecoder(1024);
    expect(d.push(STREAM.subarray(0, BLOCK_HEADER_SIZE + 3))).to.deep.equal([]);
    expect(d.buffered).to.equal(BLOCK_HEADER_SIZE + 3);
  });

  it('rejects a block larger than the limit and a negative size or offset', () => {
    const tooBig = encodeBlockHeader(0, 2048);
    expect(() => new BlockDecoder(1024).push(tooBig)).to.throw(MqError, /haTransferBatchSize/);
    const negSize = encodeBlockHeader(0, 0);
    negSize.writeInt32BE(-1, 8);
    expect(() => new BlockDecoder(1024).push(negSize)).to.throw(MqError);
    const negOffset = encodeBlockHeader(0, 0);
    negOffset.writeBigInt64BE(-5n, 0);
    expect(() => new BlockDecoder(1024).push(negOffset)).to.throw(MqError);
    const negReport = Buffer.alloc(8, 0xff);
    expect(() => new ReportDecoder().push(negReport)).to.throw(MqError);
  });

  it('refuses to encode offsets a peer could not decode', () => {
    expect(() => encodeReport(-1)).to.throw(MqError);
    expect(() => encodeReport(1.5)).to.throw(MqError);
    expect(() => encodeBlockHeader(-1, 0)).to.throw(MqError);
  });
});
