/**
 * Grants on reserved topics and dead letters: wildcard grants never reach %RETRY%, %DLQ%, TBW102,
 * SCHEDULE_TOPIC_XXXX or RMQ_SYS_*; a DLQ read without an explicit grant keeps only dead letters of readable origin
 * topics; a reload swaps the principals; a certificate subject names a principal and cannot be forged.
 */
import { expect } from 'chai';
import { MqError } from '../../src/common';
import { Authorizer, isReservedTopic } from '../../src/gateway';

function code(fn: () => void): string {
  try {
    fn();
    return 'OK';
  } catch (err) {
    return MqError.is(err) ? err.code : String(err);
  }
}

const RESERVED = ['%RETRY%billing', '%DLQ%billing', 'TBW102', 'SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRACE_TOPIC'];

describe('gateway/auth reserved topics and DLQ grants', () => {
  const a = Authorizer.parse(
    JSON.stringify([
      { name: 'admin', token: 't-admin', send: ['*'], get: ['*'], groups: ['*'] },
      { name: 'prefix', token: 't-prefix', send: ['%*', 'TBW*', 'RMQ*', 'SCHEDULE*'], get: ['%*'], groups: ['*'] },
      { name: 'explicit', token: 't-explicit', send: ['%DLQ%billing', 'TBW102', 'RMQ_SYS_*'], get: ['%DLQ%*'], groups: ['billing'] },
      { name: 'orders', token: 't-orders', send: ['orders'], get: ['orders', 'audit_*'], groups: ['billing'] },
    ]),
  );

  it('knows the reserved topics', () => {
    for (const t of RESERVED) expect(isReservedTopic(t), t).to.equal(true);
    for (const t of ['orders', 'TBW1020', 'DLQ', 'RMQSYS']) expect(isReservedTopic(t), t).to.equal(false);
  });

  it('wildcard send and get grants never match reserved topics', () => {
    for (const t of RESERVED) {
      expect(code(() => a.checkSend('t-admin', [t])), `admin send ${t}`).to.equal('PERMISSION_DENIED');
      expect(code(() => a.checkSend('t-prefix', [t])), `prefix send ${t}`).to.equal('PERMISSION_DENIED');
    }
    expect(code(() => a.checkSend('t-admin', ['orders']))).to.equal('OK');
    expect(code(() => a.checkGet('t-admin', '%RETRY%billing', 'billing'))).to.equal('PERMISSION_DENIED');
    expect(code(() => a.checkGet('t-admin', '%DLQ%other', 'billing'))).to.equal('PERMISSION_DENIED');
  });

  it('explicit grants reach the reserved topics they name', () => {
    expect(code(() => a.checkSend('t-explicit', ['%DLQ%billing']))).to.equal('OK');
    expect(code(() => a.checkSend('t-explicit', ['%DLQ%other']))).to.equal('PERMISSION_DENIED');
    expect(code(() => a.checkSend('t-explicit', ['TBW102']))).to.equal('OK');
    expect(code(() => a.checkSend('t-explicit', ['RMQ_SYS_TRACE_TOPIC']))).to.equal('OK');
    expect(code(() => a.checkGet('t-explicit', '%DLQ%billing', 'billing'))).to.equal('OK');
  });

  it('a DLQ read without an explicit grant keeps only dead letters of topics the principal may read', () => {
    // The group grant lets the call in ...
    expect(code(() => a.checkGet('t-orders', '%DLQ%billing', 'billing'))).to.equal('OK');
    // ... and the filter decides per message by its origin topic.
    const keep = a.dlqFilter('t-orders', '%DLQ%billing');
    expect(keep).to.be.a('function');
    expect(keep!('orders')).to.equal(true);
    expect(keep!('audit_2024')).to.equal(true);
    expect(keep!('payroll')).to.equal(false);
    expect(keep!(undefined)).to.equal(false);
    expect(keep!('%RETRY%billing')).to.equal(false);
    // `*` is not an explicit DLQ grant: filtered too (every ordinary origin passes).
    const admin = a.dlqFilter('t-admin', '%DLQ%billing');
    expect(admin).to.be.a('function');
    expect(admin!('payroll')).to.equal(true);
    // An explicit DLQ grant returns everything; so does auth off; other topics are not filtered.
    expect(a.dlqFilter('t-explicit', '%DLQ%billing')).to.equal(undefined);
    expect(Authorizer.disabled().dlqFilter(undefined, '%DLQ%billing')).to.equal(undefined);
    expect(a.dlqFilter('t-orders', 'orders')).to.equal(undefined);
  });

  it('a reload replaces the principals; a bad file leaves them', () => {
    const b = Authorizer.parse('[{"name":"x","token":"old","send":["orders"]}]');
    expect(code(() => b.checkSend('old', ['orders']))).to.equal('OK');
    b.replaceWith(Authorizer.parse('[{"name":"x","token":"new","send":["orders"]}]'));
    expect(code(() => b.checkSend('old', ['orders']))).to.equal('UNAUTHENTICATED');
    expect(code(() => b.checkSend('new', ['orders']))).to.equal('OK');
    expect(() => b.replaceWith(Authorizer.disabled())).to.throw(/cannot be switched/);
  });

  it('a certificate subject authenticates as the principal of that name; a guessed marker does not', () => {
    expect(a.authenticate(Authorizer.certificateToken('orders'))?.name).to.equal('orders');
    expect(code(() => a.authenticate(Authorizer.certificateToken('nobody')))).to.equal('UNAUTHENTICATED');
    expect(code(() => a.authenticate('\u0000cert:0000:orders'))).to.equal('UNAUTHENTICATED');
  });
});
