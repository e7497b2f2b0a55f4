import { expect } from 'chai';
import { parseFastJson, toJson } from '../../src/common/fastjson';

describe('common/fastjson', () => {
  it('parses standard JSON unchanged', () => {
    expect(parseFastJson('{"a":[1,2,{"b":"c"}],"d":null,"e":true}')).to.deep.equal({ a: [1, 2, { b: 'c' }], d: null, e: true });
  });

  it('accepts fastjson bare integer keys, negative ones too (ref §3.1)', () => {
    const text =
      '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"C"}],' +
      '"offsetTable":{"T@G":{0:100, -1:57}}}';
    expect(parseFastJson(text)).to.deep.equal({
      brokerDatas: [{ brokerAddrs: { '0': '10.0.0.1:10911', '1': '10.0.0.2:10911' }, brokerName: 'broker-a', cluster: 'C' }],
      offsetTable: { 'T@G': { '0': 100, '-1': 57 } },
    });
  });

  it('leaves digits inside strings and array values alone', () => {
    expect(parseFastJson('{"s":"{0:1,2:3}",7:[1,-2,{3:"x,4:y"}]}')).to.deep.equal({ s: '{0:1,2:3}', '7': [1, -2, { '3': 'x,4:y' }] });
    expect(parseFastJson('{"q":"a\\"{1:2",5:"z"}')).to.deep.equal({ q: 'a"{1:2', '5': 'z' });
  });

  it('still rejects what is neither JSON nor fastjson', () => {
    expect(() => parseFastJson('{a:1}')).to.throw(SyntaxError);
    expect(() => parseFastJson('{0:}')).to.throw(SyntaxError);
    expect(() => parseFastJson('')).to.throw(SyntaxError);
  });

  it('writes standard JSON with quoted keys, Maps as objects, bigint as a number', () => {
    const m = new Map<number, string>([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(toJson({ brokerAddrs: m, n: 12345678901234567890n, skip: undefined, list: [1, undefined] })).to.equal(
      '{"brokerAddrs":{"0":"a","1":"b"},"n":12345678901234567890,"list":[1,null]}',
    );
    expect(JSON.parse(toJson({ s: 'é"\\\n' }))).to.deep.equal({ s: 'é"\\\n' });
  });

  it('round-trips through parseFastJson', () => {
    const v = { a: { '0': 'x', '-3': 'y' }, b: [true, false, null, 1.5, 'q'] };
    expect(parseFastJson(toJson(v))).to.deep.equal(v);
  });
});
