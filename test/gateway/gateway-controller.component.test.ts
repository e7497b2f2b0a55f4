/**
 * GatewayController on one real Thrift port, with auth on and no reachable name server: tokens and grants
 * (UNAUTHENTICATED before anything else, PERMISSION_DENIED outside grants), batch validation with the offending
 * index, request limits, a dependency that cannot be reached (retryable UNAVAILABLE/TIMEOUT, never INTERNAL), and the
 * request/error metrics on the injected registry.
 */
import { expect } from 'chai';
import pino from 'pino';
import { Registry } from 'prom-client';
import { GatewayController, T } from '../../src/gateway';
import { connect, failure } from './thrift-client';
import type { TestClient } from './thrift-client';

const logger = pino({ level: process.env.MQ_TEST_LOG ?? 'silent' });

const TOKENS = JSON.stringify([{ name: 'etl', token: 'tok', send: ['orders'], get: ['orders'], groups: ['billing'] }]);

describe('gateway/GatewayController (auth, validation, unreachable cluster)', function () {
  this.timeout(20000);
  let gw: GatewayController;
  let c: TestClient;
  const registry = new Registry();

  before(async () => {
    gw = new GatewayController(
      { namesrvAddr: '127.0.0.1:1', listenPort: 0, listenHost: '127.0.0.1', sendTimeoutMs: 400, mqClientApiTimeout: 300, connectTimeoutMs: 200 },
      { logger, registry, authTokensText: TOKENS },
    );
    c = connect(await gw.start());
  });

  after(async () => {
    c?.close();
    await gw?.shutdown();
  });

  const msg = (topic: string, body = Buffer.from('x')): T.Message => new T.Message({ topic, body });

  it('refuses calls without a valid token, then calls outside the grants', async () => {
    expect((await failure(c.send([msg('orders')]))).code).to.equal(T.ErrorCode.UNAUTHENTICATED);
    expect((await failure(c.send([msg('orders')], 'wrong'))).code).to.equal(T.ErrorCode.UNAUTHENTICATED);
    // An unauthenticated caller learns nothing about its batch, even an invalid one.
    expect((await failure(c.send([msg('bad topic')]))).code).to.equal(T.ErrorCode.UNAUTHENTICATED);
    expect((await failure(c.send([msg('orders'), msg('payments')], 'tok'))).code).to.equal(T.ErrorCode.PERMISSION_DENIED);
    expect((await failure(c.get({ topic: 'orders', consumerGroup: 'billing' }))).code).to.equal(T.ErrorCode.UNAUTHENTICATED);
    expect((await failure(c.get({ topic: 'orders', consumerGroup: 'other', auth: 'tok' }))).code).to.equal(T.ErrorCode.PERMISSION_DENIED);
    expect((await failure(c.get({ topic: 'payments', consumerGroup: 'billing', auth: 'tok' }))).code).to.equal(T.ErrorCode.PERMISSION_DENIED);
  });

  it('validates the whole batch first and names the bad message', async () => {
    const e = await failure(c.send([msg('orders'), msg('orders'), msg('orders', Buffer.alloc(8 * 1024 * 1024 + 1))], 'tok'));
    expect([e.code, e.index, e.retryable]).to.deep.equal([T.ErrorCode.PAYLOAD_TOO_LARGE, 2, false]);
    const e2 = await failure(c.send([msg('orders'), msg('orders', Buffer.alloc(0))], 'tok'));
    expect([e2.code, e2.index]).to.deep.equal([T.ErrorCode.INVALID_ARGUMENT, 1]);
    for (const bad of [{ maxMessages: 1025 }, { maxMessages: -1 }, { waitMs: 30001 }, { invisibleMs: -5 }, { tagExpression: 'A ||' }]) {
      const g = await failure(c.get({ topic: 'orders', consumerGroup: 'billing', auth: 'tok', ...bad }));
      expect(g.code, JSON.stringify(bad)).to.equal(T.ErrorCode.INVALID_ARGUMENT);
    }
    // A receipt that is not one of ours is reported INVALID and does not fail the call.
    const r = await c.get({ topic: 'orders', consumerGroup: 'billing', auth: 'tok', maxMessages: 0, ack: ['nonsense', 'r1.AAAA.x'] });
    expect([r.acked, r.ackResults]).to.deep.equal([0, [T.AckStatus.INVALID, T.AckStatus.INVALID]]);
  });

  it('an unreachable cluster gives retryable UNAVAILABLE or TIMEOUT, never INTERNAL', async () => {
    const r = await c.send([msg('orders')], 'tok');
    expect(r[0].error, 'send result error').to.not.equal(null);
    expect([T.ErrorCode.UNAVAILABLE, T.ErrorCode.TIMEOUT]).to.include(r[0].error!.code);
    expect(r[0].error!.retryable).to.equal(true);
    const g = await failure(c.get({ topic: 'orders', consumerGroup: 'billing', auth: 'tok' }));
    expect([T.ErrorCode.UNAVAILABLE, T.ErrorCode.TIMEOUT]).to.include(g.code);
    expect(g.retryable).to.equal(true);
  });

  it('counts requests and error codes per method, with topic labels only for routed topics of authenticated calls', async () => {
    const text = await registry.metrics();
    // No name server answers, so no topic has a route: every topic label is (other), never a caller's string.
    expect(text).to.match(/mq_gateway_requests_total\{method="send",topic="\(other\)"\} \d+/);
    expect(text).to.match(/mq_gateway_errors_total\{method="send",topic="\(other\)",code="UNAUTHENTICATED"\} \d+/);
    expect(text).to.match(/mq_gateway_errors_total\{method="get",topic="\(other\)",code="PERMISSION_DENIED"\} \d+/);
    expect(text).to.match(/mq_gateway_request_duration_seconds_count\{method="get",topic="\(other\)"\} \d+/);
    expect(text).to.not.match(/topic="(orders|payments|bad topic)"/);
    expect(text).to.match(/mq_gateway_inflight_bytes 0/);
    // Health names the name servers (and so the writable broker set) as failed.
    const h = await gw.health();
    expect(h).to.deep.include({ ok: false, coord: 'memory', inflightBytes: 0 });
    expect(h.checks.filter((x) => !x.ok).map((x) => x.name)).to.deep.equal(['nameServers', 'writableBrokerSet']);
  });
});
