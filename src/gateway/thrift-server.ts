/**
 * The Thrift listener: framed transport, binary protocol, over TCP or TLS, with its own frame reader so that no
 * input can crash the process or exhaust its memory (node thrift's server emits 'error' and, without a listener,
 * takes the process down; it also buffers any frame it is sent).
 *
 * Per connection, frames are read as `length:int32be payload`:
 * - length <= 0: not Thrift framing (random bytes, HTTP, ...) → the connection is closed;
 * - length > maxFrameBytes: the frame is discarded as it streams in (never buffered) and, when its first bytes are a
 *   call to `send`/`get`, answered with GatewayError PAYLOAD_TOO_LARGE naming the limit; otherwise closed;
 * - the frame would take the bytes in flight over maxInflightBytes (all connections) or
 *   maxInflightBytesPerConnection: discarded the same way and answered with BUSY + retryAfterMs;
 * - otherwise it is buffered (counted in flight until its reply has been written to the socket) and handed to the
 *   generated processor; a payload the processor cannot decode closes the connection.
 * Replies count in flight too, from the handler's answer until the socket took them.
 */
import net from 'net';
import tls from 'tls';
import type { Logger } from 'pino';
import thrift from 'thrift';
import { FrameWriter } from './frame-writer';
import { ReplyProtocol } from './reply-protocol';
import { MESSAGE_HEAD_BYTES, couldBeMessageHead, parseMessageHead } from './message-head';
import type { MessageHead } from './message-head';
import { MqError } from '../common';
import { toGatewayError } from './errors';
import { MessageGatewayService } from './thrift-api';
import type { T } from './thrift-api';

/** What the processor calls: the two methods of the service, each with exactly one argument. */
export interface GatewayHandler {
  send(request: T.SendRequest): Promise<T.SendResult[]>;
  get(request: T.GetRequest): Promise<T.GetResult>;
}

export interface ThriftServerOptions {
  port: number;
  host: string;
  /** Largest frame payload read, in bytes. */
  maxFrameBytes: number;
  maxInflightBytes: number;
  maxInflightBytesPerConnection: number;
  busyRetryAfterMs: number;
  /** A connection that stalls inside a frame for this long is closed (its reserved bytes freed), ms; 0 = never. */
  partialFrameTimeoutMs?: number;
  /** PEM certificate and key: TLS on the port. */
  tls?: { cert: Buffer; key: Buffer };
}

export interface ThriftServerEvents {
  /** Called with the frame's size when a frame is refused (for metrics). */
  onRefused?(reason: 'too_large' | 'busy' | 'malformed', bytes: number): void;
  /** Called whenever the bytes in flight change. */
  onInflight?(bytes: number): void;
}

/**
 * One client connection's frame reader: a small state machine (length word → payload, or → discarding a refused
 * frame). It never buffers more than one admitted frame at a time.
 */
class Connection {
  /** Pieces of a length word split over reads. */
  private chunks: Buffer[] = [];
  /** Bytes received of the current length word or payload. */
  private have = 0;
  /** The payload being assembled when it spans several reads. */
  private partial: Buffer | undefined;
  /** True while replies of this tick are being collected (see write). */
  private corked = false;
  /** Payload size of the frame being read; -1 while reading the 4-byte length. */
  private need = -1;
  /** Set while a refused frame streams in: bytes still to discard and the answer to give. */
  private skip: { left: number; reason: 'too_large' | 'busy'; size: number; head: Buffer[]; headBytes: number; answered: boolean } | null = null;
  /** Request and reply bytes of this connection in flight. */
  inflight = 0;
  closed = false;

  constructor(
    private readonly server: ThriftServer,
    readonly socket: net.Socket,
    readonly id: number,
  ) {}

  /** Feeds received bytes; complete frames go to the server, refused ones are skipped. */
  onData(data: Buffer): void {
    let buf = data;
    while (buf.length > 0 && !this.closed) {
      if (this.skip) {
        buf = this.discard(buf);
        continue;
      }
      if (this.need < 0) {
        let len: number;
        if (this.have === 0 && buf.length >= 4) {
          // The whole length word is here (the usual case): read it in place.
          len = buf.readInt32BE(0);
          buf = buf.subarray(4);
        } else {
          const take = Math.min(4 - this.have, buf.length);
          this.chunks.push(buf.subarray(0, take));
          this.have += take;
          buf = buf.subarray(take);
          if (this.have < 4) return;
          len = Buffer.concat(this.chunks, 4).readInt32BE(0);
          this.chunks = [];
          this.have = 0;
        }
        if (len <= 0) {
          this.server.refused('malformed', len, this);
          this.destroy(`frame length ${len} is not a Thrift frame (framed transport expected)`);
          return;
        }
        const refusal = this.server.admit(this, len);
        if (refusal) {
          this.skip = { left: len, reason: refusal, size: len, head: [], headBytes: 0, answered: false };
          continue;
        }
        this.need = len;
        continue;
      }
      const take = Math.min(this.need - this.have, buf.length);
      let frame: Buffer | undefined;
      if (this.have === 0 && take === this.need) {
        // The whole payload is in this read: used in place.
        frame = buf.subarray(0, take);
      } else {
        // A payload spread over reads is copied as it arrives into one buffer of its (already admitted) size: one
        // copy, and the reads are freed at once instead of being held until a final concat doubles the memory.
        this.partial ??= Buffer.allocUnsafe(this.need);
        buf.copy(this.partial, this.have, 0, take);
      }
      this.have += take;
      buf = buf.subarray(take);
      if (this.have === this.need) {
        frame ??= this.partial as Buffer;
        const size = this.need;
        this.partial = undefined;
        this.have = 0;
        this.need = -1;
        this.server.dispatch(this, frame, size);
      }
    }
  }

  /** Discards bytes of a refused frame; answers it once its head has arrived. Returns what is left of `buf`. */
  private discard(buf: Buffer): Buffer {
    const s = this.skip as NonNullable<Connection['skip']>;
    const take = Math.min(s.left, buf.length);
    if (!s.answered && s.headBytes < MESSAGE_HEAD_BYTES) {
      const part = buf.subarray(0, Math.min(take, MESSAGE_HEAD_BYTES - s.headBytes));
      s.head.push(Buffer.from(part));
      s.headBytes += part.length;
    }
    s.left -= take;
    if (!s.answered && !couldBeMessageHead(Buffer.concat(s.head, s.headBytes))) {
      this.server.refused('malformed', s.size, this);
      this.destroy(`refused frame of ${s.size} bytes does not start with a Thrift call`);
      return Buffer.alloc(0);
    }
    if (!s.answered && (s.headBytes >= MESSAGE_HEAD_BYTES || s.left === 0)) {
      s.answered = true;
      const head = parseMessageHead(Buffer.concat(s.head, s.headBytes));
      if (!head || (head.name !== 'send' && head.name !== 'get')) {
        this.server.refused('malformed', s.size, this);
        this.destroy(`refused frame of ${s.size} bytes does not start with a send/get call`);
        return Buffer.alloc(0);
      }
      this.server.answerRefused(this, head, s.reason, s.size);
    }
    if (s.left === 0) this.skip = null;
    return buf.subarray(take);
  }

  /**
   * Writes one reply frame; `done` runs once the socket took it (or at once when the connection is gone), which is
   * when the reply's bytes stop counting in flight. The socket is corked until the next tick, so that every reply
   * written in the same tick (pipelined calls answered together) and every part of a reply leave in one writev.
   */
  write(parts: Buffer[], done: () => void): void {
    if (this.closed || this.socket.destroyed) {
      done();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    for (let i = 0; i < parts.length; i++) {
      if (i === parts.length - 1) this.socket.write(parts[i], () => done());
      else this.socket.write(parts[i]);
    }
  }

  /** Ends the cork of this tick's replies. */
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** True while part of a frame (length or payload) has arrived but not all of it. */
  midFrame(): boolean {
    return this.have > 0 || this.need > 0 || this.skip !== null;
  }

  /** Bytes reserved for a frame that was still arriving (released when the connection goes away). */
  partialBytes(): number {
    return this.need > 0 ? this.need : 0;
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.server.logConnection(this, reason);
    this.socket.destroy();
  }
}

export class ThriftServer {
  private server: net.Server | undefined;
  private readonly processor: { process(input: unknown, output: unknown): void };
  private readonly conns = new Set<Connection>();
  private nextId = 1;
  private inflight = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly opts: ThriftServerOptions,
    handler: GatewayHandler,
    private readonly deps: { logger: Logger; events?: ThriftServerEvents },
  ) {
    this.processor = new MessageGatewayService.Processor(handler) as unknown as { process(input: unknown, output: unknown): void };
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const onSocket = (socket: net.Socket): void => this.accept(socket);
    const server = this.opts.tls
      ? tls.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, onSocket)
      : net.createServer(onSocket);
    if (server instanceof tls.Server) {
      // A failed handshake only concerns that client.
      server.on('tlsClientError', (err: Error) => this.deps.logger.debug({ err: err.message }, 'TLS handshake failed'));
    }
    server.on('error', (err: Error) => this.deps.logger.error({ err }, 'Thrift listener error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting connections; the open ones keep being served (drain before close()). */
  stopAccepting(): void {
    this.closing ??= this.server ? new Promise<void>((resolve) => this.server!.close(() => resolve())) : Promise.resolve();
  }

  /** Stops accepting, closes every connection and waits for the listener to close. */
  async close(): Promise<void> {
    this.stopAccepting();
    for (const c of this.conns) c.destroy('server closing');
    await this.closing;
    this.server = undefined;
  }

  /** Request and reply bytes in flight, all connections together. */
  inflightBytes(): number {
    return this.inflight;
  }

  connectionCount(): number {
    return this.conns.size;
  }

  /** Sets up a new connection: frame reader, stall timeout, error and close handling. */
  private accept(socket: net.Socket): void {
    const conn = new Connection(this, socket, this.nextId++);
    this.conns.add(conn);
    socket.setNoDelay(true);
    const stall = this.opts.partialFrameTimeoutMs ?? 30000;
    if (stall > 0) {
      socket.setTimeout(stall, () => {
        if (conn.midFrame()) conn.destroy(`no data for ${stall} ms inside a frame`);
      });
    }
    socket.on('data', (d: Buffer) => {
      try {
        conn.onData(d);
      } catch (err) {
        // A bug in frame handling must cost one connection, never the process.
        this.deps.logger.error({ err, conn: conn.id }, 'frame handling failed');
        conn.destroy('frame handling failed');
      }
    });
    socket.on('error', (err: Error) => this.deps.logger.debug({ err: err.message, conn: conn.id }, 'connection error'));
    socket.on('close', () => {
      conn.closed = true;
      this.conns.delete(conn);
      const partial = conn.partialBytes();
      if (partial > 0) this.release(conn, partial);
    });
  }

  /** Decides whether a frame of `size` bytes may be buffered; reserves the bytes when it may. */
  admit(conn: Connection, size: number): 'too_large' | 'busy' | null {
    if (size > this.opts.maxFrameBytes) return 'too_large';
    if (this.inflight + size > this.opts.maxInflightBytes || conn.inflight + size > this.opts.maxInflightBytesPerConnection) {
      return 'busy';
    }
    this.reserve(conn, size);
    return null;
  }

  /** Counts bytes in flight for the connection and the whole server. */
  private reserve(conn: Connection, bytes: number): void {
    conn.inflight += bytes;
    this.inflight += bytes;
    this.deps.events?.onInflight?.(this.inflight);
  }

  private release(conn: Connection, bytes: number): void {
    conn.inflight -= bytes;
    this.inflight -= bytes;
    this.deps.events?.onInflight?.(this.inflight);
  }

  refused(reason: 'too_large' | 'busy' | 'malformed', bytes: number, conn: Connection): void {
    this.deps.events?.onRefused?.(reason, bytes);
    this.deps.logger.warn({ reason, bytes, conn: conn.id, remote: conn.socket.remoteAddress }, 'Thrift frame refused');
  }

  logConnection(conn: Connection, reason: string): void {
    this.deps.logger.info({ conn: conn.id, remote: conn.socket.remoteAddress, reason }, 'closing Thrift connection');
  }

  /** Runs one complete frame through the generated processor; its reply releases the reservation. */
  dispatch(conn: Connection, frame: Buffer, size: number): void {
    let replied = false;
    const output = new ReplyProtocol(
      new FrameWriter((parts, total) => {
        if (replied) return;
        replied = true;
        // The reply is in flight until the socket took it; the request's bytes are free once the reply exists.
        this.reserve(conn, total);
        this.release(conn, size);
        conn.write(parts, () => this.release(conn, total));
      }),
    );
    const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(frame));
    try {
      this.processor.process(input, output);
    } catch (err) {
      if (!replied) {
        replied = true;
        this.release(conn, size);
      }
      this.refused('malformed', size, conn);
      conn.destroy(`undecodable Thrift message: ${(err as Error)?.message || (err as Error)?.name || String(err)}`);
    }
  }

  /** Answers a refused frame's call with a GatewayError (PAYLOAD_TOO_LARGE or BUSY). */
  answerRefused(conn: Connection, head: MessageHead, reason: 'too_large' | 'busy', size: number): void {
    this.refused(reason, size, conn);
    if (head.type === 4) return; // oneway: no reply
    const err = toGatewayError(
      reason === 'too_large'
        ? new MqError(
            'PAYLOAD_TOO_LARGE',
            `request frame of ${size} bytes exceeds the gateway's frame limit of ${this.opts.maxFrameBytes} bytes (maxMessageSize + frameHeadroomBytes); send fewer or smaller messages per call`,
          )
        : new MqError(
            'BUSY',
            `gateway busy: a request of ${size} bytes would exceed the in-flight cap (maxInflightBytes ${this.opts.maxInflightBytes}, per connection maxInflightBytesPerConnection ${this.opts.maxInflightBytesPerConnection})`,
          ),
      this.opts.busyRetryAfterMs,
    );
    const out = new ReplyProtocol(
      new FrameWriter((parts, total) => {
        this.reserve(conn, total);
        conn.write(parts, () => this.release(conn, total));
      }),
    );
    // The result struct of both methods: field 0 = success, field 1 = error (GatewayError).
    out.writeMessageBegin(head.name, thrift.Thrift.MessageType.REPLY, head.seqid);
    out.writeStructBegin(`MessageGateway_${head.name}_result`);
    out.writeFieldBegin('error', thrift.Thrift.Type.STRUCT, 1);
    (err as unknown as { write(p: thrift.TProtocol): void }).write(out);
    out.writeFieldEnd();
    out.writeFieldStop();
    out.writeStructEnd();
    out.writeMessageEnd();
    out.flush();
  }
}
