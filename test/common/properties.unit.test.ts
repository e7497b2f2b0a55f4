import { expect } from 'chai';
import { parseArgs, parseProperties } from '../../src/common';

describe('common/properties', () => {
  it('reads a RocketMQ broker.conf with comments, separators, escapes and continuations', () => {
    const text = [
      '# broker-a',
      '! also a comment',
      'brokerClusterName = DefaultCluster',
      'brokerName=broker-a',
      'brokerId:0',
      'deleteWhen 04',
      '  namesrvAddr=127.0.0.1:9876;\\',
      '      127.0.0.2:9876',
      'storePathRootDir=/data/a\\tb',
      'key\\=with\\:seps=v',
      'unicode=\\u00e9',
      'empty=',
      'trailing = spaces   ',
    ].join('\n');
    expect(parseProperties(text)).to.deep.equal({
      brokerClusterName: 'DefaultCluster',
      brokerName: 'broker-a',
      brokerId: '0',
      deleteWhen: '04',
      namesrvAddr: '127.0.0.1:9876;127.0.0.2:9876',
      storePathRootDir: '/data/a\tb',
      'key=with:seps': 'v',
      unicode: 'é',
      empty: '',
      trailing: 'spaces',
    });
  });

  it('handles CRLF line ends and later keys winning', () => {
    expect(parseProperties('a=1\r\na=2\r\nb=3')).to.deep.equal({ a: '2', b: '3' });
  });

  it('parses --key=value, --key value, short flags and positionals', () => {
    const r = parseArgs(['updateTopic', '-n', '127.0.0.1:9876', '--topic=T', '-r', '8', '--help', 'x'], { n: 'namesrvAddr', r: 'readQueueNums' });
    expect(r.positionals).to.deep.equal(['updateTopic', 'x']);
    expect(r.options).to.deep.equal({ namesrvAddr: '127.0.0.1:9876', topic: 'T', readQueueNums: '8', help: 'true' });
  });
});
