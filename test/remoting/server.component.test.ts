/** RemotingServer and RemotingClient against each other on 127.0.0.1 (ref §1.6). */
import { expect } from 'chai';
import net from 'net';
import { Registry } from 'prom-client';
import { MqError, sleep } from '../../src/common';
import { RemotingClient } from '../../src/remoting/client';
import { RemotingCommand } from '../../src/remoting/command';
import { ResponseCode } from '../../src/remoting/codes';
import { decodeCommand, encodeCommand } from '../../src/remoting/protocol/frame';
import { FrameDecoder } from '../../src/remoting/protocol/frame-decoder';
import { RemotingServer } from '../../src/remoting/server';
import type { Channel } from '../../src/remoting/channel';
import { extString } from '../../src/remoting/header/fields';
import { METRIC } from '../../src/metrics';
import { captureLogger, rawConnect, waitFor } from './util';

const ECHO = 1001;
const SLOW = 1002;
const THROW = 1003;
const SILENT = 1004;
const NEEDS_TOPIC = 1005;

describe('RemotingServer + RemotingClient', function () {
  this.timeout(10000);
  let server: RemotingServer;
  let client: RemotingClient;
  let addr: string;
  let registry: Registry;
  let logs: ReturnType<typeof captureLogger>;
  const onewaySeen: RemotingCommand[] = [];

  beforeEach(async () => {
    registry = new Registry();
    logs = captureLogger();
    server = new RemotingServer({
      listenPort: 0,
      host: '127.0.0.1',
      name: 'test',
      logger: logs.logger,
      registry,
      idleTimeoutMs: 60_000,
      partialFrameTimeoutMs: 300,
      frameMaxLength: 8 * 1024 * 1024,
    });
    server.registerProcessor(ECHO, (req) => {
      if (req.isOneway()) onewaySeen.push(req);
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, req.remark, req.extFields, req.body);
    });
    server.registerProcessor(SLOW, async (req) => {
      await sleep(Number(req.extFields?.ms ?? 300));
      return RemotingCommand.createResponse(ResponseCode.SUCCESS, 'slow');
    });
    server.registerProcessor(THROW, () => {
      throw new Error('boom in processor');
    });
    server.registerProcessor(SILENT, () => null);
    server.registerProcessor(NEEDS_TOPIC, (req) => RemotingCommand.createResponse(0, extString(req.extFields, 'topic')));
    const port = await server.start();
    addr = `127.0.0.1:${port}`;
    client = new RemotingClient({ logger: logs.logger, defaultTimeoutMs: 3000 });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  async function badFrames(reason: string): Promise<number> {
    const m = await registry.getSingleMetric(METRIC.remotingBadFrames)!.get();
    return m.values.filter((v) => v.labels.reason === reason).reduce((a, v) => a + v.value, 0);
  }

  it('answers a request with the processor result, matching opaque, ext fields and body', async () => {
    const req = RemotingCommand.createRequest(ECHO, { topic: 'T', n: 5, flag: true }, Buffer.from('payload'));
    const res = await client.invokeSync(addr, req);
    expect(res.code).to.equal(ResponseCode.SUCCESS);
    expect(res.opaque).to.equal(req.opaque);
    expect(res.isResponse()).to.equal(true);
    expect(res.extFields).to.deep.equal({ topic: 'T', n: '5', flag: 'true' });
    expect(res.body?.toString()).to.equal('payload');
    expect(res.serializeType).to.equal('JSON');
  });

  it('answers a ROCKETMQ-encoded request in the same encoding', async () => {
    const req = RemotingCommand.createRequest(ECHO, { a: 'b' });
    req.serializeType = 'ROCKETMQ';
    const res = await client.invokeSync(addr, req);
    expect(res.serializeType).to.equal('ROCKETMQ');
    expect(res.extFields).to.deep.equal({ a: 'b' });
  });

  it('answers unknown codes with REQUEST_CODE_NOT_SUPPORTED, even for oneway requests', async () => {
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(999));
    expect(res.code).to.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(res.remark).to.equal(' request type 999 not supported');
    const raw = await rawConnect(server.listenPort);
    const oneway = RemotingCommand.createRequest(998).markOneway();
    raw.socket.write(encodeCommand(oneway));
    await waitFor(() => raw.received().length > 8, 2000, 'oneway not-supported answer');
    const answer = decodeCommand(raw.received());
    expect(answer.code).to.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(answer.opaque).to.equal(oneway.opaque);
    raw.socket.destroy();
  });

  it('turns a throwing processor into SYSTEM_ERROR with the message, and a missing header field into Java\'s remark', async () => {
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(THROW));
    expect(res.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).to.equal('boom in processor');
    const res2 = await client.invokeSync(addr, RemotingCommand.createRequest(NEEDS_TOPIC, {}));
    expect(res2.code).to.equal(ResponseCode.SYSTEM_ERROR);
    expect(res2.remark).to.equal('the custom field <topic> is null');
  });

  it('sends nothing for a null result (the caller times out) and for oneway requests', async () => {
    const err = await client.invokeSync(addr, RemotingCommand.createRequest(SILENT), 200).catch((e: unknown) => e);
    expect(MqError.is(err, 'TIMEOUT')).to.equal(true);
    const raw = await rawConnect(server.listenPort);
    const oneway = RemotingCommand.createRequest(ECHO, { x: 'oneway' }).markOneway();
    const before = onewaySeen.length;
    raw.socket.write(encodeCommand(oneway));
    await waitFor(() => onewaySeen.length > before, 2000, 'oneway processed');
    // A following normal request is the only thing answered.
    const ping = RemotingCommand.createRequest(ECHO, { x: 'ping' });
    raw.socket.write(encodeCommand(ping));
    await waitFor(() => raw.received().length > 0, 2000, 'ping answer');
    await sleep(50);
    const cmds = new FrameDecoder().push(raw.received());
    expect(cmds.map((c) => c.opaque)).to.deep.equal([ping.opaque]);
    raw.socket.destroy();
  });

  it('invokeAsync calls back with the response or the error; invokeOneway reaches the processor unanswered', async () => {
    const res = await new Promise<RemotingCommand | undefined>((resolve, reject) =>
      client.invokeAsync(addr, RemotingCommand.createRequest(ECHO, { via: 'async' }), 2000, (err, r) => (err ? reject(err) : resolve(r))),
    );
    expect(res?.extFields).to.deep.equal({ via: 'async' });
    const err = await new Promise<MqError | null>((resolve) =>
      client.invokeAsync(addr, RemotingCommand.createRequest(SILENT), 100, (e) => resolve(e)),
    );
    expect(err?.code).to.equal('TIMEOUT');
    const before = onewaySeen.length;
    await client.invokeOneway(addr, RemotingCommand.createRequest(ECHO, { via: 'oneway' }));
    await waitFor(() => onewaySeen.length === before + 1, 2000, 'oneway processed');
    expect(onewaySeen[onewaySeen.length - 1].extFields).to.deep.equal({ via: 'oneway' });
  });

  it('keeps serving other requests on a connection while a slow one is pending (long polling)', async () => {
    const order: string[] = [];
    const slow = client.invokeSync(addr, RemotingCommand.createRequest(SLOW, { ms: 400 })).then(() => order.push('slow'));
    await sleep(20);
    const fast = client.invokeSync(addr, RemotingCommand.createRequest(ECHO)).then(() => order.push('fast'));
    await Promise.all([slow, fast]);
    expect(order).to.deep.equal(['fast', 'slow']);
    expect(server.connectionCount).to.equal(1);
  });

  it('reuses one connection per address for many concurrent calls', async () => {
    const calls = Array.from({ length: 200 }, (_, i) =>
      client.invokeSync(addr, RemotingCommand.createRequest(ECHO, { i })).then((r) => Number(r.extFields?.i)),
    );
    const got = await Promise.all(calls);
    expect(got).to.deep.equal(Array.from({ length: 200 }, (_, i) => i));
    expect(server.connectionCount).to.equal(1);
  });

  it('carries a 5 MiB body both ways', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(ECHO, {}, body), 10000);
    expect(res.body?.equals(body)).to.equal(true);
  });

  it('rejects UNAVAILABLE when nothing listens, and CLOSED when the connection drops mid-call', async () => {
    const dead = new RemotingServer({ listenPort: 0, host: '127.0.0.1', name: 'dead', logger: logs.logger });
    const deadPort = await dead.start();
    await dead.close();
    const e1 = await client.invokeSync(`127.0.0.1:${deadPort}`, RemotingCommand.createRequest(ECHO), 1000).catch((e: unknown) => e);
    expect(MqError.is(e1, 'UNAVAILABLE'), String(e1)).to.equal(true);

    let serverSide: Channel | undefined;
    server.once('connect', (ch) => (serverSide = ch));
    const pending = client.invokeSync(addr, RemotingCommand.createRequest(SLOW, { ms: 2000 })).catch((e: unknown) => e);
    await waitFor(() => serverSide !== undefined, 2000, 'server-side channel');
    await sleep(50);
    serverSide!.close();
    const e2 = await pending;
    expect(MqError.is(e2, 'CLOSED'), String(e2)).to.equal(true);
    // The next call reconnects by itself.
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(ECHO));
    expect(res.code).to.equal(0);
  });

  it('hands server→client requests to onRequest, and answers REQUEST_CODE_NOT_SUPPORTED without a handler', async () => {
    let serverSide: Channel | undefined;
    server.once('connect', (ch) => (serverSide = ch));
    await client.invokeSync(addr, RemotingCommand.createRequest(ECHO));
    await waitFor(() => serverSide !== undefined);
    const noHandler = await server.invoke(serverSide!, RemotingCommand.createRequest(307), 2000);
    expect(noHandler.code).to.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    client.onRequest((req, from) => RemotingCommand.createResponse(0, `${req.code} from ${from === addr}`));
    const answered = await server.invoke(serverSide!, RemotingCommand.createRequest(307), 2000);
    expect(answered.remark).to.equal('307 from true');
    // A oneway push is handled and not answered.
    let pushed = 0;
    client.onRequest(() => {
      pushed++;
      return null;
    });
    serverSide!.send(RemotingCommand.createRequest(40).markOneway());
    await waitFor(() => pushed === 1, 2000, 'oneway push');
  });

  it('drops responses with unknown opaques quietly', async () => {
    let serverSide: Channel | undefined;
    server.once('connect', (ch) => (serverSide = ch));
    await client.invokeSync(addr, RemotingCommand.createRequest(ECHO));
    await waitFor(() => serverSide !== undefined);
    const stray = RemotingCommand.createResponse(0, 'stray');
    stray.opaque = 123456789;
    serverSide!.send(stray);
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(ECHO, { ok: 1 }));
    expect(res.extFields).to.deep.equal({ ok: '1' });
  });

  it('emits connect and close channel events with IPv4 peer addresses', async () => {
    const events: string[] = [];
    server.on('connect', (ch) => events.push(`connect ${/^127\.0\.0\.1:\d+$/.test(ch.remoteAddress)}`));
    server.on('close', () => events.push('close'));
    await client.invokeSync(addr, RemotingCommand.createRequest(ECHO));
    client.closeChannel(addr);
    await waitFor(() => events.includes('close'), 3000, 'close event');
    expect(events).to.deep.equal(['connect true', 'close']);
  });

  describe('bad input closes only the offending connection', () => {
    const cases: Array<[string, Buffer]> = [
      ['frame_too_long', Buffer.from('7fffffff00000000', 'hex')],
      ['header_too_long', Buffer.from('0000000800000005' + '7b7d0000', 'hex')],
      ['bad_json', Buffer.concat([Buffer.from('0000000700000003', 'hex'), Buffer.from('{x}')])],
      ['serialize_type', Buffer.from('00000006050000027b7d', 'hex')],
      ['bad_header', Buffer.concat([Buffer.from('0000000600000002', 'hex'), Buffer.from('[]')])],
    ];
    for (const [reason, bytes] of cases) {
      it(`${reason}: closes, counts, logs one line, keeps serving others`, async () => {
        await client.invokeSync(addr, RemotingCommand.createRequest(ECHO));
        const raw = await rawConnect(server.listenPort);
        raw.socket.write(bytes);
        await raw.closed;
        expect(await badFrames(reason)).to.equal(1);
        expect(logs.lines.filter((l) => l.msg === 'bad frame, connection closed' && l.reason === reason)).to.have.length(1);
        const res = await client.invokeSync(addr, RemotingCommand.createRequest(ECHO, { still: 'up' }));
        expect(res.extFields).to.deep.equal({ still: 'up' });
      });
    }

    it('partial_timeout: a connection stalled halfway through a frame is closed', async () => {
      const raw = await rawConnect(server.listenPort);
      const frame = encodeCommand(RemotingCommand.createRequest(ECHO, { a: 'b' }, Buffer.alloc(1000)));
      raw.socket.write(frame.subarray(0, 500));
      await raw.closed;
      expect(await badFrames('partial_timeout')).to.equal(1);
      expect(server.pendingState().bufferedBytes).to.equal(0);
    });
  });

  it('stops reading from a peer that never reads its answers, and catches up once it does (bounded memory)', async () => {
    const sock = net.connect({ host: '127.0.0.1', port: server.listenPort });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.pause();
    const body = Buffer.alloc(64 * 1024, 1);
    const n = 400; // 25 MiB of requests, answered by 25 MiB of echoes
    for (let i = 0; i < n; i++) sock.write(encodeCommand(RemotingCommand.createRequest(ECHO, { i }, body)));
    await sleep(500);
    // The server holds about its 8 MiB cap (plus one answer), not all 25 MiB of answers.
    expect(server.pendingState().writeBufferedBytes).to.be.below(12 * 1024 * 1024);
    const d = new FrameDecoder();
    let got = 0;
    sock.on('data', (c: Buffer) => (got += d.push(c).length));
    sock.resume();
    await waitFor(() => got === n, 8000, `all ${n} answers (got ${got})`);
    sock.destroy();
  });

  it('closes idle connections after idleTimeoutMs and the client reconnects', async () => {
    const idleServer = new RemotingServer({ listenPort: 0, host: '127.0.0.1', name: 'idle', logger: logs.logger, idleTimeoutMs: 150 });
    idleServer.registerProcessor(ECHO, () => RemotingCommand.createResponse(0));
    const port = await idleServer.start();
    try {
      const idle: Channel[] = [];
      idleServer.on('idle', (ch) => idle.push(ch));
      const c2 = new RemotingClient({ idleTimeoutMs: 0 });
      await c2.invokeSync(`127.0.0.1:${port}`, RemotingCommand.createRequest(ECHO));
      await waitFor(() => idle.length === 1 && idleServer.connectionCount === 0, 3000, 'idle close');
      const res = await c2.invokeSync(`127.0.0.1:${port}`, RemotingCommand.createRequest(ECHO));
      expect(res.code).to.equal(0);
      await c2.close();
    } finally {
      await idleServer.close();
    }
  });
});
