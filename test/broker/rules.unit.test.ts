/**
 * Pure broker rules: status → wire code mapping, subscriptions and tag filters, heartbeat bodies, topic names, delay
 * redirection, live configuration changes and the V2 send header's short names.
 */
import { expect } from 'chai';
import { applyLiveChanges, buildSubscription, decodeHeartbeat, getStatusToPullCode, putStatusToResponse, resolveBrokerConfig, tagsCodeFilter, topicProblem } from '../../src/broker';
import { applyDelay, hostOf } from '../../src/broker/message-rules';
import { parseDelayLevels } from '../../src/broker/options';
import type { MessageInner } from '../../src/store';
import { ResponseCode } from '../../src/remoting';
import { decodeSendMessageHeaderV2, encodeSendMessageHeaderV2 } from '../../src/remoting/header/send-message';
import { decodePullMessageHeader } from '../../src/remoting/header/pull-message';

describe('broker rules (unit)', () => {
  it('maps put statuses to send codes and remarks (ref §2.3.2, §6.1)', () => {
    expect(putStatusToResponse('PUT_OK', 1).code).to.equal(ResponseCode.SUCCESS);
    expect(putStatusToResponse('FLUSH_DISK_TIMEOUT', 1).code).to.equal(10);
    expect(putStatusToResponse('SLAVE_NOT_AVAILABLE', 1).code).to.equal(11);
    expect(putStatusToResponse('FLUSH_SLAVE_TIMEOUT', 1).code).to.equal(12);
    expect(putStatusToResponse('OS_PAGECACHE_BUSY', 1)).to.deep.equal({
      code: ResponseCode.SYSTEM_ERROR,
      remark: '[PC_SYNCHRONIZED]broker busy, start flow control for a while',
    });
    expect(putStatusToResponse('MESSAGE_ILLEGAL', 4194304).remark).to.contain('msg body length limit 4194304B');
    expect(putStatusToResponse('SERVICE_NOT_AVAILABLE', 1).code).to.equal(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect(putStatusToResponse('CREATE_MAPPED_FILE_FAILED', 1).remark).to.equal('create mapped file failed, server is busy or broken.');
  });

  it('maps read statuses to pull codes (ref §2.3.3 table)', () => {
    expect(getStatusToPullCode('FOUND', 5)).to.equal(0);
    expect(getStatusToPullCode('NO_MESSAGE_IN_QUEUE', 0)).to.equal(19);
    expect(getStatusToPullCode('NO_MESSAGE_IN_QUEUE', 3)).to.equal(21);
    expect(getStatusToPullCode('NO_MATCHED_LOGIC_QUEUE', 0)).to.equal(19);
    expect(getStatusToPullCode('OFFSET_OVERFLOW_ONE', 3)).to.equal(19);
    expect(getStatusToPullCode('OFFSET_FOUND_NULL', 3)).to.equal(19);
    expect(getStatusToPullCode('OFFSET_OVERFLOW_BADLY', 3)).to.equal(21);
    expect(getStatusToPullCode('OFFSET_TOO_SMALL', 3)).to.equal(21);
    expect(getStatusToPullCode('NO_MATCHED_MESSAGE', 3)).to.equal(20);
    expect(getStatusToPullCode('MESSAGE_WAS_REMOVING', 3)).to.equal(20);
  });

  it('builds subscriptions like FilterAPI and filters by Java hash code', () => {
    const sub = buildSubscription('T', ' TagA || TagB ||TagA');
    expect(sub.tagsSet).to.deep.equal(['TagA', 'TagB']);
    expect(sub.codeSet).to.deep.equal([2598919, 2598920]);
    const f = tagsCodeFilter(sub)!;
    expect(f(2598919)).to.equal(true);
    expect(f(2598921)).to.equal(false);
    expect(tagsCodeFilter(buildSubscription('T', '*'))).to.equal(undefined);
    expect(tagsCodeFilter(buildSubscription('T', ''))).to.equal(undefined);
  });

  it('decodes heartbeat bodies from ali-ons and Java (fastjson bare keys) and rejects junk', () => {
    const ali =
      '{"clientID":"127.0.0.1@77","consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",' +
      '"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"topic":"T","subString":"TagA || TagB","classFilterMode":false,' +
      '"tagsSet":["TagA","TagB"],"codeSet":[2598919,2598920],"subVersion":1795289009698}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]}';
    const hb = decodeHeartbeat(Buffer.from(ali));
    expect(hb.clientID).to.equal('127.0.0.1@77');
    expect(hb.consumerDataSet[0].subscriptionDataSet[0]).to.include({ topic: 'T', subString: 'TagA || TagB', subVersion: 1795289009698 });
    expect(hb.producerDataSet).to.deep.equal([{ groupName: 'PG' }]);
    const bare = decodeHeartbeat(Buffer.from('{"clientID":"x@1","consumerDataSet":[],"producerDataSet":[],"extra":{0:"a"}}'));
    expect(bare.clientID).to.equal('x@1');
    expect(() => decodeHeartbeat(Buffer.from('not json'))).to.throw(/not JSON/);
    expect(() => decodeHeartbeat(Buffer.from('{"consumerDataSet":[]}'))).to.throw(/clientID/);
    expect(() => decodeHeartbeat(undefined)).to.throw(/empty/);
  });

  it('validates topic names (ref §5.11)', () => {
    expect(topicProblem('Topic_A-1%|x')).to.equal(undefined);
    expect(topicProblem('')).to.contain('blank');
    expect(topicProblem('a b')).to.contain('illegal characters');
    expect(topicProblem('a'.repeat(127))).to.equal(undefined);
    expect(topicProblem('a'.repeat(128))).to.contain('127');
  });

  it('redirects DELAY messages to SCHEDULE_TOPIC_XXXX, clamping the level (ref §5.13)', () => {
    const levels = parseDelayLevels('1s 5s 2m 1h 1d');
    expect(levels).to.deep.equal([1000, 5000, 120000, 3600000, 86400000]);
    expect(() => parseDelayLevels('1s 5x')).to.throw(/cannot parse/);
    const msg = { topic: 'T', queueId: 3, sysFlag: 0, properties: { DELAY: '9' } } as unknown as MessageInner;
    applyDelay(msg, levels, 1000);
    expect(msg).to.include({ topic: 'SCHEDULE_TOPIC_XXXX', queueId: 4, tagsCodeOverride: 1000 + 86400000 });
    expect(msg.properties).to.include({ DELAY: '5', REAL_TOPIC: 'T', REAL_QID: '3' });
    const prepared = { topic: 'T', queueId: 0, sysFlag: 0x4, properties: { DELAY: '1' } } as unknown as MessageInner;
    applyDelay(prepared, levels);
    expect(prepared.topic).to.equal('T');
  });

  it('writes IPv4 hosts into records, whatever form the peer address has', () => {
    expect(hostOf('10.1.2.3:4567')).to.deep.equal({ ip: '10.1.2.3', port: 4567 });
    expect(hostOf('::ffff:10.1.2.3:4567')).to.deep.equal({ ip: '10.1.2.3', port: 4567 });
    expect(hostOf('::1:99')).to.deep.equal({ ip: '127.0.0.1', port: 99 });
  });

  it('changes only the live keys at runtime and checks their values', () => {
    const cfg = resolveBrokerConfig({});
    expect(cfg.brokerId).to.equal(0);
    applyLiveChanges(cfg, { waitTimeMillsInSendQueue: '500', brokerFastFailureEnable: 'false' });
    expect(cfg.waitTimeMillsInSendQueue).to.equal(500);
    expect(cfg.brokerFastFailureEnable).to.equal(false);
    expect(() => applyLiveChanges(cfg, { brokerName: 'x' })).to.throw(/cannot be changed while running/);
    expect(() => applyLiveChanges(cfg, { waitTimeMillsInSendQueue: 'soon' })).to.throw(/must be a number/);
    expect(() => resolveBrokerConfig({ brokerRole: 'SLAVE', brokerId: 0 })).to.throw(/brokerId > 0/);
    expect(resolveBrokerConfig({ brokerRole: 'SYNC_MASTER', brokerId: 3 }).brokerId).to.equal(0);
  });

  it('maps the V2 send header short names and coerces ali-ons numbers and booleans', () => {
    const h = decodeSendMessageHeaderV2({ a: 'PG', b: 'T', c: 'TBW102', d: '4', e: '2', f: '1', g: '1700000000000', h: '0', i: 'TAGS\u0001A', k: 'false', m: 'true', n: 'broker-a' });
    expect(h).to.include({ producerGroup: 'PG', topic: 'T', queueId: 2, sysFlag: 1, bornTimestamp: 1700000000000, batch: true, unitMode: false, bname: 'broker-a' });
    const round = decodeSendMessageHeaderV2(Object.fromEntries(Object.entries(encodeSendMessageHeaderV2(h)).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])));
    expect(round).to.deep.equal(h);
    expect(() => decodeSendMessageHeaderV2({ a: 'PG' })).to.throw('the custom field <b> is null');
    const pull = decodePullMessageHeader({ consumerGroup: 'G', topic: 'T', queueId: '0', queueOffset: '5', maxMsgNums: '32', sysFlag: '6', commitOffset: '-1', suspendTimeoutMillis: '15000', subVersion: '1' });
    expect(pull).to.include({ queueOffset: 5, sysFlag: 6, commitOffset: -1, suspendTimeoutMillis: 15000 });
  });
});
