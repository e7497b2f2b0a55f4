/**
 * The `logId` response field (our brokers' identity of the log under a queue) on the pull and offset response
 * headers: encoded as one more extField, carried by both header encodings (JSON and ROCKETMQ binary, ref §1.3, §1.4),
 * optional on decode (RocketMQ brokers never send it), and without effect on the RocketMQ fields.
 */
import { expect } from 'chai';
import { RemotingCommand } from '../../../src/remoting/command';
import { ResponseCode } from '../../../src/remoting/codes';
import { decodeCommand, encodeCommand } from '../../../src/remoting/protocol/frame';
import { decodeOffsetResponseHeader, encodeOffsetResponseHeader } from '../../../src/remoting/header/offset-response';
import { decodePullMessageResponseHeader, encodePullMessageResponseHeader } from '../../../src/remoting/header/pull-message';
import { decodeGetMaxOffsetResponse } from '../../../src/remoting/header/get-max-offset';

const LOG_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0.a1b2c3d4e5f60718';

/** A response through a whole frame in the given header encoding. */
function roundTrip(ext: Record<string, string | number | boolean | undefined>, type: 'JSON' | 'ROCKETMQ'): RemotingCommand {
  const res = RemotingCommand.createResponse(ResponseCode.SUCCESS, 'FOUND', ext, Buffer.from('body'));
  res.serializeType = type;
  const back = decodeCommand(encodeCommand(res));
  expect(back.serializeType).to.equal(type);
  expect(back.body?.toString()).to.equal('body');
  return back;
}

describe('remoting/header logId (pull and offset responses)', () => {
  for (const type of ['JSON', 'ROCKETMQ'] as const) {
    it(`pull response header keeps logId and the RocketMQ fields through a ${type} frame`, () => {
      const h = { suggestWhichBrokerId: 1, nextBeginOffset: 42, minOffset: 7, maxOffset: 99, logId: LOG_ID };
      const back = roundTrip(encodePullMessageResponseHeader(h), type);
      expect(back.extFields?.logId).to.equal(LOG_ID);
      expect(decodePullMessageResponseHeader(back.extFields)).to.deep.equal(h);
    });

    it(`offset response header keeps logId through a ${type} frame; old decoders ignore it`, () => {
      const back = roundTrip(encodeOffsetResponseHeader({ offset: 1234567890123, logId: LOG_ID }), type);
      expect(decodeOffsetResponseHeader(back.extFields)).to.deep.equal({ offset: 1234567890123, logId: LOG_ID });
      expect(decodeGetMaxOffsetResponse(back.extFields)).to.equal(1234567890123);
    });
  }

  it('a RocketMQ broker\'s answer (no logId) decodes with logId absent, not empty', () => {
    const pull = decodePullMessageResponseHeader({ suggestWhichBrokerId: '0', nextBeginOffset: '3', minOffset: '0', maxOffset: '3' });
    expect(pull).to.not.have.property('logId');
    expect(decodeOffsetResponseHeader({ offset: '5' })).to.deep.equal({ offset: 5 });
    // An empty value is no identity either.
    expect(decodeOffsetResponseHeader({ offset: '5', logId: '' })).to.deep.equal({ offset: 5 });
  });

  it('an absent logId is not encoded at all (no "undefined" string on the wire)', () => {
    const back = roundTrip(encodePullMessageResponseHeader({ suggestWhichBrokerId: 0, nextBeginOffset: 1, minOffset: 0, maxOffset: 1 }), 'JSON');
    expect(back.extFields).to.not.have.property('logId');
    const back2 = roundTrip(encodeOffsetResponseHeader({ offset: 1 }), 'ROCKETMQ');
    expect(back2.extFields).to.deep.equal({ offset: '1' });
  });
});
