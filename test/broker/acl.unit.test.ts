/**
 * ACL pieces without a network: the plain_acl.yml reader (upstream sample layout, errors with line numbers), address
 * patterns, permission rules, the signature check order, and the cluster signature's tamper and replay checks.
 */
import { expect } from 'chai';
import { ACL_ADMIN_CODES, PERM, checkAcl, parsePlainAcl, parseYamlSubset } from '../../src/broker';
import { permits } from '../../src/broker/acl/plain-acl';
import { RemotingCommand, RequestCode, checkClusterSignature, signAcl, signCluster } from '../../src/remoting';

const SAMPLE = `# as shipped upstream, abridged
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      # the group should convert to retry topic
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: "12345678"
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
`;

function send(topic: string): RemotingCommand {
  return RemotingCommand.createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'PG', b: topic, c: 'TBW102', d: 4, e: 0 }, Buffer.from('body'));
}

describe('broker ACL (unit)', () => {
  it('reads the upstream sample layout', () => {
    const doc = parseYamlSubset(SAMPLE, 'plain_acl.yml') as Record<string, unknown>;
    expect(doc.globalWhiteRemoteAddresses).to.deep.equal(['10.10.103.*', '192.168.0.*']);
    const accounts = doc.accounts as Array<Record<string, unknown>>;
    expect(accounts).to.have.length(2);
    expect(accounts[0]).to.include({ accessKey: 'RocketMQ', secretKey: '12345678', whiteRemoteAddress: null, admin: 'false' });
    expect(accounts[0].groupPerms).to.deep.equal(['groupA=DENY', 'groupB=PUB|SUB', 'groupC=SUB']);
    expect(accounts[1]).to.include({ secretKey: '12345678', admin: 'true', whiteRemoteAddress: '192.168.1.*' });
    const cfg = parsePlainAcl(SAMPLE, 'plain_acl.yml');
    expect(cfg.accounts.get('RocketMQ')!.perms.get('%RETRY%groupB')).to.equal(PERM.PUB | PERM.SUB);
  });

  it('refuses what it cannot read, naming file and line', () => {
    expect(() => parseYamlSubset('a: 1\n\tb: 2\n', 'x.yml')).to.throw(/x.yml:2: tabs/);
    expect(() => parseYamlSubset('a: &anchor 1\n', 'x.yml')).to.throw(/x.yml:1: unsupported YAML/);
    expect(() => parsePlainAcl('accounts:\n  - accessKey: short\n    secretKey: 12345678\n', 'y.yml')).to.throw(/longer than 5/);
    expect(() => parsePlainAcl('accounts:\n  - accessKey: abcdefg\n    secretKey: 12345678\n    colour: red\n', 'y.yml')).to.throw(/unknown keys colour/);
    expect(() => parsePlainAcl('globalWhiteRemoteAddresses:\n  - 10.0.0.300\n', 'y.yml')).to.throw(/not an address pattern/);
  });

  it('applies permissions as RocketMQ does', () => {
    expect(permits(PERM.PUB, PERM.PUB | PERM.SUB)).to.equal(true);
    expect(permits(PERM.PUB, PERM.SUB)).to.equal(false);
    expect(permits(PERM.SUB, PERM.DENY)).to.equal(false);
    expect(ACL_ADMIN_CODES.has(RequestCode.UPDATE_AND_CREATE_TOPIC)).to.equal(true);
    const cfg = parsePlainAcl(SAMPLE, 'plain_acl.yml');
    const signed = (topic: string, sk = '12345678'): RemotingCommand => {
      const r = send(topic);
      signAcl(r, 'RocketMQ', sk);
      return r;
    };
    expect(checkAcl(cfg, signed('topicB'), '10.1.1.1:5000')).to.equal(undefined);
    expect(checkAcl(cfg, signed('topicC'), '10.1.1.1:5000')).to.match(/No permission for topic topicC/);
    expect(checkAcl(cfg, signed('other'), '10.1.1.1:5000')).to.match(/No permission for topic other/);
    expect(checkAcl(cfg, signed('topicB', 'wrong-secret'), '10.1.1.1:5000')).to.match(/Check signature failed/);
    expect(checkAcl(cfg, send('topicB'), '10.1.1.1:5000')).to.match(/No accessKey/);
    // White-listed addresses pass without a signature.
    expect(checkAcl(cfg, send('topicA'), '192.168.0.7:5000')).to.equal(undefined);
    // A changed body breaks the signature.
    const tampered = signed('topicB');
    tampered.body = Buffer.from('other body');
    expect(checkAcl(cfg, tampered, '10.1.1.1:5000')).to.match(/Check signature failed/);
  });

  it('cluster signatures: tampered fields, another secret and old timestamps are refused', () => {
    const r = RemotingCommand.createRequest(RequestCode.REGISTER_BROKER, { brokerName: 'b', brokerAddr: '1.2.3.4:10911', clusterName: 'C', haServerAddr: 'x', brokerId: 0 });
    signCluster(r, 'secret-123');
    expect(checkClusterSignature(r, 'secret-123')).to.equal(undefined);
    expect(checkClusterSignature(r, 'secret-456')).to.match(/does not match/);
    // An ACL signature added after it does not disturb it.
    signAcl(r, 'someAccount', 'someSecret');
    expect(checkClusterSignature(r, 'secret-123')).to.equal(undefined);
    r.extFields!.brokerAddr = '6.6.6.6:10911';
    expect(checkClusterSignature(r, 'secret-123')).to.match(/does not match/);
    const old = RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, { brokerName: 'b' });
    signCluster(old, 'secret-123', Date.now() - 10 * 60 * 1000);
    expect(checkClusterSignature(old, 'secret-123')).to.match(/outside/);
  });
});
