/**
 * The tables of RocketMQ keys without effect / refused stay consistent: no key is both implemented and listed, and
 * README's tables list exactly the keys of the code.
 */
import { expect } from 'chai';
import fs from 'fs';
import path from 'path';
import { BROKER_FULL_SPEC, BROKER_IGNORED_KEYS, BROKER_REFUSED_KEYS } from '../../src/broker';
import { NAMESRV_IGNORED_KEYS, NAMESRV_OPTIONS } from '../../src/namesrv';

const README = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('RocketMQ keys without effect (tables)', () => {
  it('lists no key the broker or name server implements, and no key twice', () => {
    for (const k of [...Object.keys(BROKER_IGNORED_KEYS), ...Object.keys(BROKER_REFUSED_KEYS)]) expect(BROKER_FULL_SPEC, k).to.not.have.property(k);
    for (const k of Object.keys(NAMESRV_IGNORED_KEYS)) expect(NAMESRV_OPTIONS, k).to.not.have.property(k);
    for (const k of Object.keys(BROKER_IGNORED_KEYS)) expect(BROKER_REFUSED_KEYS, k).to.not.have.property(k);
  });

  it('README documents every key of both tables', () => {
    for (const k of Object.keys(BROKER_IGNORED_KEYS)) expect(README, k).to.contain(`| \`${k}\` | broker |`);
    for (const k of Object.keys(NAMESRV_IGNORED_KEYS)) expect(README, k).to.contain(`| \`${k}\` | namesrv |`);
    for (const k of Object.keys(BROKER_REFUSED_KEYS)) expect(README, k).to.match(new RegExp(`\\| \`${k}\` \\| (true|not empty|given|not \`)`));
  });

  it('refuses values it cannot honour and lets harmless ones through', () => {
    expect(BROKER_REFUSED_KEYS.enableDLegerCommitLog('true', {})).to.match(/DLedger/);
    expect(BROKER_REFUSED_KEYS.enableDLegerCommitLog('false', {})).to.equal(undefined);
    expect(BROKER_REFUSED_KEYS.storePathCommitLog('/data/store/commitlog', { storePathRootDir: '/data/store' })).to.equal(undefined);
    expect(BROKER_REFUSED_KEYS.storePathCommitLog('/other/commitlog', { storePathRootDir: '/data/store' })).to.match(/must be/);
  });
});
