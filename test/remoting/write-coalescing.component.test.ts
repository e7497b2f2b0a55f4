/**
 * RemotingClient coalesces the requests of one event-loop turn into one socket write: a gateway serving several
 * callers' reads in one turn sends their requests to the broker in a single writev (and the broker reads them in one
 * read), not one syscall per caller. Every request still gets its own response.
 */
import { expect } from 'chai';
import net from 'net';
import pino from 'pino';
import { RemotingClient } from '../../src/remoting/client';
import { RemotingCommand } from '../../src/remoting/command';
import { ResponseCode } from '../../src/remoting/codes';
import { RemotingServer } from '../../src/remoting/server';

const ECHO = 1001;

describe('RemotingClient write coalescing (component)', function () {
  this.timeout(10000);

  it('requests made from 8 separate callbacks of one loop turn leave in one socket write, each answered', async () => {
    const logger = pino({ level: 'silent' });
    const server = new RemotingServer({ listenPort: 0, host: '127.0.0.1', name: 'test', logger });
    server.registerProcessor(ECHO, (req) => RemotingCommand.createResponse(ResponseCode.SUCCESS, req.remark, req.extFields, req.body));
    const port = await server.start();
    const addr = `127.0.0.1:${port}`;
    const client = new RemotingClient({ logger, defaultTimeoutMs: 5000 });
    const proto = net.Socket.prototype as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const realWrite = proto._write;
    const realWritev = proto._writev;
    const writes: Array<{ chunks: number }> = [];
    try {
      // Connected first, so that the requests below are written on an open socket.
      const first = await client.invokeSync(addr, RemotingCommand.createRequest(ECHO, { n: 'warm' }), 5000);
      expect(first.code).to.equal(ResponseCode.SUCCESS);
      // Only the client's socket (connected to the server's port) is counted, not the server's answers.
      proto._write = function (this: net.Socket, ...a: unknown[]) {
        if (this.remotePort === port) writes.push({ chunks: 1 });
        return realWrite.apply(this, a);
      };
      proto._writev = function (this: net.Socket, ...a: unknown[]) {
        if (this.remotePort === port) writes.push({ chunks: (a[0] as unknown[]).length });
        return realWritev.apply(this, a);
      };
      const replies = await new Promise<Array<Promise<RemotingCommand>>>((resolve) => {
        const out: Array<Promise<RemotingCommand>> = [];
        // Each setImmediate callback is its own macrotask (process.nextTick work runs between them), as the reads of
        // several sockets are in one poll phase.
        for (let i = 0; i < 8; i++) {
          setImmediate(() => {
            out.push(client.invokeSync(addr, RemotingCommand.createRequest(ECHO, { n: String(i) }, Buffer.from(`body ${i}`)), 5000));
            if (out.length === 8) resolve(out);
          });
        }
      });
      const res = await Promise.all(replies);
      proto._write = realWrite;
      proto._writev = realWritev;
      expect(res.map((r) => r.extFields?.n)).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect(res.map((r) => r.body?.toString())).to.deep.equal(Array.from({ length: 8 }, (_, i) => `body ${i}`));
      // One write of the 8 requests' frames (header and body buffers each).
      expect(writes, 'client socket writes').to.deep.equal([{ chunks: 16 }]);
    } finally {
      proto._write = realWrite;
      proto._writev = realWritev;
      await client.close();
      await server.close();
    }
  });
});
