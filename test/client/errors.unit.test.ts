import { expect } from 'chai';
import { MqError } from '../../src/common';
import { ResponseCode } from '../../src/remoting';
import { responseCodeName, responseError, transportError } from '../../src/client/errors';

describe('client/errors', () => {
  const peer = 'broker b1 (10.0.0.1:10911)';

  it('maps SYSTEM_BUSY to a retriable BUSY keeping the broker remark', () => {
    const e = responseError('send', peer, { code: ResponseCode.SYSTEM_BUSY, remark: '[REJECTREQUEST]system busy, start flow control for a while' });
    expect(e.code).to.equal('BUSY');
    expect(e.retriable).to.equal(true);
    expect(e.message).to.contain('[REJECTREQUEST]system busy').and.contain(peer).and.contain('SYSTEM_BUSY(2)');
    expect(e.details).to.include({ responseCode: 2, responseName: 'SYSTEM_BUSY', peer });
  });

  it('treats [PC_SYNCHRONIZED] SYSTEM_ERROR as flow control and other SYSTEM_ERRORs as retriable INTERNAL', () => {
    expect(responseError('send', peer, { code: 1, remark: '[PC_SYNCHRONIZED]broker busy, start flow control for a while' }).code).to.equal('BUSY');
    const e = responseError('send', peer, { code: 1, remark: 'create mapped file failed, server is busy or broken.' });
    expect(e.code).to.equal('INTERNAL');
    expect(e.retriable).to.equal(true);
  });

  it('maps the other codes of the table', () => {
    const cases: Array<[number, string, string]> = [
      [ResponseCode.TOPIC_NOT_EXIST, 'topic[x] not exist', 'TOPIC_NOT_FOUND'],
      [ResponseCode.NO_PERMISSION, 'the broker is not writeable', 'PERMISSION_DENIED'],
      [ResponseCode.SERVICE_NOT_AVAILABLE, 'service not available now', 'UNAVAILABLE'],
      [ResponseCode.MESSAGE_ILLEGAL, 'the message is illegal, maybe msg body or properties length not matched. msg body length limit 8388608B', 'PAYLOAD_TOO_LARGE'],
      [ResponseCode.MESSAGE_ILLEGAL, 'topic name is illegal', 'INVALID_ARGUMENT'],
      [ResponseCode.QUERY_NOT_FOUND, 'Not found', 'NOT_FOUND'],
      [ResponseCode.SUBSCRIPTION_PARSE_FAILED, 'parse failed', 'INVALID_ARGUMENT'],
      [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ' request type 999 not supported', 'PROTOCOL'],
      [ResponseCode.FLOW_CONTROL, '', 'BUSY'],
      [12345, 'odd', 'INTERNAL'],
    ];
    for (const [code, remark, want] of cases) expect(responseError('pull', peer, { code, remark }).code, `${code}`).to.equal(want);
  });

  it('makes the Java producer retry codes retriable for sends only (ref §6.2)', () => {
    expect(responseError('send', peer, { code: ResponseCode.TOPIC_NOT_EXIST }).retriable).to.equal(true);
    expect(responseError('send', peer, { code: ResponseCode.NO_PERMISSION }).retriable).to.equal(true);
    expect(responseError('route', peer, { code: ResponseCode.TOPIC_NOT_EXIST }).retriable).to.equal(false);
    expect(responseError('send', peer, { code: ResponseCode.MESSAGE_ILLEGAL }).retriable).to.equal(false);
  });

  it('keeps transport error codes and adds the operation and peer', () => {
    const e = transportError('pull', peer, new MqError('TIMEOUT', 'no response in 3000 ms'));
    expect(e.code).to.equal('TIMEOUT');
    expect(e.retriable).to.equal(true);
    expect(e.message).to.contain('pull').and.contain(peer);
    expect(transportError('send', peer, new Error('boom')).code).to.equal('INTERNAL');
    expect(responseCodeName(19)).to.equal('PULL_NOT_FOUND');
    expect(responseCodeName(4242)).to.equal('CODE_4242');
  });
});
