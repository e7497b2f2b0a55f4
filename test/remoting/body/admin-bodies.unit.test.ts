/** MessageQueue-keyed admin bodies as fastjson writes them: encoded with object keys, read back, split anywhere. */
import { expect } from 'chai';
import { encodeConsumeStats, encodeTopicStatsTable, mqRows, parseAdminJson } from '../../../src/remoting/body/admin-bodies';

describe('admin bodies (unit)', () => {
  it('writes TopicStatsTable with MessageQueue objects as keys, fields in name order', () => {
    const b = encodeTopicStatsTable([[{ brokerName: 'b', queueId: 0, topic: 't' }, { minOffset: 1, maxOffset: 5, lastUpdateTimestamp: 9 }]]);
    expect(b.toString()).to.equal('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":9,"maxOffset":5,"minOffset":1}}}');
  });

  it('reads the object-key form back (and Java-style bare integer keys), sorted by topic, broker, queue', () => {
    const text = encodeConsumeStats(1.5, [
      [{ brokerName: 'b2', queueId: 1, topic: 't' }, { brokerOffset: 9, consumerOffset: 4, lastTimestamp: 0 }],
      [{ brokerName: 'b1', queueId: 0, topic: 't' }, { brokerOffset: 3, consumerOffset: 3, lastTimestamp: 7 }],
    ]).toString();
    const v = parseAdminJson(text) as { consumeTps: number; offsetTable: unknown };
    expect(v.consumeTps).to.equal(1.5);
    const rows = mqRows<{ brokerOffset: number }>(v.offsetTable);
    expect(rows.map(([k, x]) => `${k.brokerName}/${k.queueId}=${x.brokerOffset}`)).to.deep.equal(['b1/0=3', 'b2/1=9']);
    expect(parseAdminJson('{"brokerAddrs":{0:"a",1:"b"}}')).to.deep.equal({ brokerAddrs: { '0': 'a', '1': 'b' } });
    expect(parseAdminJson('{"s":"x\\"}y","a":[1,{"k":null}],"t":true}')).to.deep.equal({ s: 'x"}y', a: [1, { k: null }], t: true });
  });

  it('rejects malformed text at every truncation point with a positioned error', () => {
    const text = encodeTopicStatsTable([[{ brokerName: 'b', queueId: 2, topic: 't' }, { minOffset: 0, maxOffset: 1, lastUpdateTimestamp: 1 }]]).toString();
    for (let i = 1; i < text.length; i++) expect(() => parseAdminJson(text.slice(0, i)), String(i)).to.throw(/bad admin JSON at \d+/);
    expect(() => parseAdminJson(text + 'x')).to.throw(/trailing/);
  });
});
