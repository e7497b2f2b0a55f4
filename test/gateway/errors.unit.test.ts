/** The one error mapping: MqError codes become Thrift ErrorCodes with the right retryable flag, retryAfterMs and index. */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { T, errorCodeName, mapError, toGatewayError, toMessageError } from '../../src/gateway';

describe('gateway/errors', () => {
  it('maps every MqError code to a Thrift ErrorCode', () => {
    const cases: Array<[ConstructorParameters<typeof MqError>[0], T.ErrorCode, boolean]> = [
      ['INVALID_ARGUMENT', T.ErrorCode.INVALID_ARGUMENT, false],
      ['INVALID_OPTION', T.ErrorCode.INVALID_ARGUMENT, false],
      ['PAYLOAD_TOO_LARGE', T.ErrorCode.PAYLOAD_TOO_LARGE, false],
      ['UNAUTHENTICATED', T.ErrorCode.UNAUTHENTICATED, false],
      ['PERMISSION_DENIED', T.ErrorCode.PERMISSION_DENIED, false],
      ['TOPIC_NOT_FOUND', T.ErrorCode.TOPIC_NOT_FOUND, false],
      ['BUSY', T.ErrorCode.BUSY, true],
      ['UNAVAILABLE', T.ErrorCode.UNAVAILABLE, true],
      ['CLOSED', T.ErrorCode.UNAVAILABLE, true],
      ['TIMEOUT', T.ErrorCode.TIMEOUT, true],
      ['CORRUPT', T.ErrorCode.INTERNAL, false],
      ['INTERNAL', T.ErrorCode.INTERNAL, false],
    ];
    for (const [code, want, retryable] of cases) {
      const m = mapError(new MqError(code, `boom ${code}`), 1000);
      expect([code, m.code, m.retryable, m.message]).to.deep.equal([code, want, retryable, `boom ${code}`]);
    }
  });

  it('BUSY carries the hinted retryAfterMs, else the default', () => {
    expect(mapError(new MqError('BUSY', 'b', { details: { retryAfterMs: 250 } }), 1000).retryAfterMs).to.equal(250);
    expect(mapError(new MqError('BUSY', 'b'), 1000).retryAfterMs).to.equal(1000);
    expect(mapError(new MqError('UNAVAILABLE', 'u'), 1000).retryAfterMs).to.equal(undefined);
  });

  it('keeps the batch index of invalid messages only', () => {
    expect(toGatewayError(new MqError('PAYLOAD_TOO_LARGE', 'p', { details: { index: 3 } }), 1).index).to.equal(3);
    expect(toGatewayError(new MqError('BUSY', 'b', { details: { index: 3 } }), 1).index ?? undefined).to.equal(undefined);
  });

  it('a non-MqError is INTERNAL; a GatewayError passes through; MessageError has no index', () => {
    const e = toGatewayError(new TypeError('x is undefined'), 1);
    expect([e.code, e.retryable, e.message]).to.deep.equal([T.ErrorCode.INTERNAL, false, 'internal error: x is undefined']);
    const g = new T.GatewayError({ code: T.ErrorCode.BUSY, message: 'm' });
    expect(toGatewayError(g, 1)).to.equal(g);
    const me = toMessageError(new MqError('INVALID_ARGUMENT', 'i', { details: { index: 1 } }), 1);
    expect(me).to.be.instanceOf(T.MessageError);
    expect(me.code).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    expect(errorCodeName(T.ErrorCode.UNAVAILABLE)).to.equal('UNAVAILABLE');
  });
});
