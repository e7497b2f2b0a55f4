/** Tokens files (JSON and properties), wildcard grants, and the two failure codes. */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { Authorizer } from '../../src/gateway';

function code(fn: () => void): string {
  try {
    fn();
    return 'OK';
  } catch (err) {
    return MqError.is(err) ? err.code : String(err);
  }
}

const JSON_FILE = JSON.stringify({
  principals: [
    { name: 'etl', token: 'tok-etl', send: ['orders', 'audit_*'], get: ['orders'], groups: ['billing', 'etl_*'] },
    { name: 'admin', token: 'tok-admin', send: ['*'], get: ['*'], groups: ['*'] },
  ],
});

const PROPS_FILE = ['# principals', 'etl.token=tok-etl', 'etl.send=orders, audit_*', 'etl.get=orders', 'etl.groups=billing,etl_*'].join('\n');

describe('gateway/auth', () => {
  for (const [kind, text] of [
    ['JSON', JSON_FILE],
    ['properties', PROPS_FILE],
  ] as const) {
    it(`${kind}: checks tokens and grants`, () => {
      const a = Authorizer.parse(text);
      expect(a.enabled).to.equal(true);
      expect(code(() => a.checkSend(undefined, ['orders']))).to.equal('UNAUTHENTICATED');
      expect(code(() => a.checkSend('nope', ['orders']))).to.equal('UNAUTHENTICATED');
      expect(code(() => a.checkSend('tok-etl', ['orders', 'audit_2026']))).to.equal('OK');
      expect(code(() => a.checkSend('tok-etl', ['orders', 'payments']))).to.equal('PERMISSION_DENIED');
      expect(code(() => a.checkGet('tok-etl', 'orders', 'billing'))).to.equal('OK');
      expect(code(() => a.checkGet('tok-etl', 'orders', 'etl_nightly'))).to.equal('OK');
      expect(code(() => a.checkGet('tok-etl', 'orders', 'other'))).to.equal('PERMISSION_DENIED');
      expect(code(() => a.checkGet('tok-etl', 'audit_x', 'billing'))).to.equal('PERMISSION_DENIED');
      // A group's dead-letter queue belongs to the group.
      expect(code(() => a.checkGet('tok-etl', '%DLQ%billing', 'billing'))).to.equal('OK');
      expect(code(() => a.checkGet('tok-etl', '%DLQ%other', 'billing'))).to.equal('PERMISSION_DENIED');
    });
  }

  it('"*" grants everything; patterns are literal apart from *', () => {
    const a = Authorizer.parse(JSON_FILE);
    expect(code(() => a.checkSend('tok-admin', ['anything']))).to.equal('OK');
    expect(code(() => a.checkSend('tok-etl', ['auditX']))).to.equal('PERMISSION_DENIED');
    expect(code(() => a.checkSend('tok-etl', ['audit_']))).to.equal('OK');
  });

  it('disabled allows everything without a token', () => {
    const a = Authorizer.disabled();
    expect(a.enabled).to.equal(false);
    expect(code(() => a.checkSend(undefined, ['x']))).to.equal('OK');
    expect(code(() => a.checkGet(null, 'x', 'g'))).to.equal('OK');
  });

  it('rejects bad files with INVALID_OPTION naming the problem', () => {
    expect(() => Authorizer.parse('{bad')).to.throw(/invalid JSON/);
    expect(() => Authorizer.parse('[{"name":"a","send":["x"]}]')).to.throw(/has no token/);
    expect(() => Authorizer.parse('[{"name":"a","token":"t"},{"name":"b","token":"t"}]')).to.throw(/reuses/);
    expect(() => Authorizer.parse('a.tokn=x')).to.throw(/unknown key a.tokn/);
    expect(() => Authorizer.parse('[{"name":"a","token":"t","send":[1]}]')).to.throw(/list of strings/);
  });
});
