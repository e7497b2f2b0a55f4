/**
 * The committed Node stubs (gen/) work with the npm `thrift` library: a client and a server on one real listener,
 * framed transport + binary protocol, carry a 5 MiB body both ways and a GatewayError with its fields.
 */
import { expect } from 'chai';
import type { AddressInfo } from 'net';
import thrift from 'thrift';
import * as MessageGateway from '../../gen/MessageGateway';
import * as T from '../../gen/gateway_types';

describe('gen: Node stubs', () => {
  it('round-trips a 5 MiB body and a GatewayError over framed + binary', async () => {
    const handler = {
      send: async (req: T.SendRequest) =>
        req.messages.map((m, i) => new T.SendResult({ msgId: `id${i}`, brokerName: 'b', queueId: 0, status: m.body.length > 0 ? T.SendStatus.OK : T.SendStatus.FLUSH_DISK_TIMEOUT })),
      get: async (req: T.GetRequest) => {
        if (req.consumerGroup === 'bad') {
          throw new T.GatewayError({ code: T.ErrorCode.PAYLOAD_TOO_LARGE, message: 'too big', retryable: false, index: 3 });
        }
        return new T.GetResult({ messages: [new T.ReceivedMessage({ msgId: 'x', topic: req.topic, body: big, keys: ['k'], properties: { a: 'b' } })], acked: 0 });
      },
    };
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    const server = thrift.createServer(MessageGateway, handler, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol });
    // Without an 'error' listener a bad frame would crash the test process (toolchain-notes).
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const conn = thrift.createConnection('127.0.0.1', port, { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1 });
    conn.on('error', () => undefined);
    try {
      const client = thrift.createClient(MessageGateway, conn);
      const sent = await client.send(new T.SendRequest({ messages: [new T.Message({ topic: 't', body: big, tags: 'A', keys: ['k1', 'k2'], properties: { p: 'v' } })] }));
      expect(sent.map((r) => [r.msgId, r.status])).to.deep.equal([['id0', T.SendStatus.OK]]);
      const got = await client.get(new T.GetRequest({ topic: 't', consumerGroup: 'g' }));
      expect(got.messages[0].body.equals(big)).to.equal(true);
      expect(got.messages[0].properties).to.deep.equal({ a: 'b' });
      const err = await client.get(new T.GetRequest({ topic: 't', consumerGroup: 'bad' })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(T.GatewayError);
      expect(err).to.deep.include({ code: T.ErrorCode.PAYLOAD_TOO_LARGE, message: 'too big', index: 3 });
    } finally {
      conn.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
