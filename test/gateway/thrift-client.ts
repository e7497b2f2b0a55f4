/** A Thrift client of the gateway for tests (generated Node stubs, framed + binary, optional TLS). */
import net from 'net';
import thrift from 'thrift';
import { MessageGatewayService, T } from '../../src/gateway';

export interface TestClient {
  send(messages: T.Message[], auth?: string): Promise<T.SendResult[]>;
  get(req: Partial<ConstructorParameters<typeof T.GetRequest>[0]> & { topic: string; consumerGroup: string }): Promise<T.GetResult>;
  close(): void;
}

/** The gateway client call shape (the generated d.ts types the client loosely). */
interface RawClient {
  send(req: T.SendRequest): Promise<T.SendResult[]>;
  get(req: T.GetRequest): Promise<T.GetResult>;
}

export function connect(port: number, opts: { tls?: { ca: Buffer } } = {}): TestClient {
  const options = { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol, max_attempts: 1, connect_timeout: 5000 };
  const conn = opts.tls
    ? thrift.createSSLConnection('127.0.0.1', port, { ...options, ca: [opts.tls.ca], servername: 'localhost' } as unknown as thrift.ConnectOptions)
    : thrift.createConnection('127.0.0.1', port, options);
  conn.on('error', () => undefined);
  const raw = thrift.createClient(MessageGatewayService as unknown as thrift.TClientConstructor<RawClient>, conn) as unknown as RawClient;
  return {
    send: (messages, auth) => raw.send(new T.SendRequest({ messages, auth })),
    get: (req) => raw.get(new T.GetRequest(req)),
    close: () => conn.end(),
  };
}

/** Resolves the GatewayError a call failed with (or throws when it succeeded). */
export async function failure(p: Promise<unknown>): Promise<T.GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof T.GatewayError) return err;
    throw err;
  }
  throw new Error('the call succeeded, a GatewayError was expected');
}

/** Writes raw bytes to a port and resolves once the server closed the connection (bounded by `timeoutMs`). */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 5000): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, received: Buffer.concat(chunks) });
    }, timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, received: Buffer.concat(chunks) });
    });
  });
}
