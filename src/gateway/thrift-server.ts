/**
 * The Thrift listener: framed transport, binary protocol, over TCP or TLS (optionally mutual), with its own frame
 * reader and admission control, so that no input can crash the process, exhaust its memory or lock others out
 * (node thrift's server emits 'error' and, without a listener, takes the process down; it also buffers any frame).
 *
 * Connections:
 * - at most maxConnections open at once, and maxConnectionsPerAddress from one remote address; over either the new
 *   connection is closed at once (TLS: before the handshake);
 * - a connection with no frame in progress and no call pending for connectionIdleTimeoutMs is closed.
 *
 * Per connection, frames are read as `length:int32be payload`:
 * - length <= 0: not Thrift framing (random bytes, HTTP, ...) → the connection is closed;
 * - length > maxFrameBytes: the frame is discarded as it streams in (never buffered) and, when its first bytes are a
 *   call to `send`/`get`, answered with GatewayError PAYLOAD_TOO_LARGE naming the limit; otherwise closed;
 * - a frame is refused with BUSY + retryAfterMs (discarded the same way, answered as soon as its call head is here,
 *   its body never held) when its announced size cannot fit next to what is in flight on its connection
 *   (maxInflightBytesPerConnection) or on all connections (maxInflightBytes), counting the bytes that arrived and
 *   the announced, not yet arrived, rest of the frames being read; so concurrent large sends over the budget are
 *   refused from their length word, not after their bodies were half read. That announced rest is counted for
 *   PROMISE_MS after the length arrived, then only the bytes that came: a trickling client holds what it actually
 *   sent. Bytes that arrive and would take the total over maxInflightBytes still refuse their frame (BUSY);
 * - each frame must arrive completely within frameReadTimeoutMs + size / frameMinBytesPerSecond of its first byte
 *   (a trickled byte does not extend it); else the connection is closed and its bytes freed;
 * - a complete frame is decoded with limits checked before anything is allocated (limited-protocol.ts): a request
 *   over a limit is answered with GatewayError INVALID_ARGUMENT naming it; a frame that contradicts itself (negative
 *   sizes, truncated, not a Thrift message) closes the connection.
 * Replies count in flight too, from the handler's answer until the socket took them.
 */
import net from 'net';
import tls from 'tls';
import type { Logger } from 'pino';
import thrift from 'thrift';
import { FrameWriter } from './frame-writer';
import { ReplyProtocol } from './reply-protocol';
import { installSendProcess } from './send-reply';
import { DEFAULT_DECODE_LIMITS, DecodeLimitError, LimitedProtocol } from './limited-protocol';
import type { DecodeLimits } from './limited-protocol';
import { MESSAGE_HEAD_BYTES, couldBeMessageHead, parseMessageHead } from './message-head';
import type { MessageHead } from './message-head';
import { MqError } from '../common';
import { toGatewayError } from './errors';
import { MessageGatewayService } from './thrift-api';
import type { T } from './thrift-api';
import { MAX_ACKS } from './validate';

/** What a handler learns about the call it serves. */
export interface CallContext {
  /** Runs once this call's reply has been written to the socket (or the connection is gone). */
  onReplied(fn: () => void): void;
  /** The remote address of the connection. */
  readonly remoteAddress: string;
  /** With mutual TLS: the subject CN of the client's verified certificate. */
  readonly peerSubject?: string;
}

/** What the processor calls: the two methods of the service, each with the request and the call's context. */
export interface GatewayHandler {
  send(request: T.SendRequest, call?: CallContext): Promise<T.SendResult[]>;
  get(request: T.GetRequest, call?: CallContext): Promise<T.GetResult>;
}

/** PEM material for TLS; with `ca`, clients must present a certificate signed by it (mutual TLS). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface ThriftServerOptions {
  port: number;
  host: string;
  /** Largest frame payload read, in bytes. */
  maxFrameBytes: number;
  maxInflightBytes: number;
  maxInflightBytesPerConnection: number;
  busyRetryAfterMs: number;
  /** Base time for one frame to arrive completely, ms (0 = no limit). Default 10000. */
  frameReadTimeoutMs?: number;
  /** The time allowed grows by one second per this many bytes of the frame. Default 65536. */
  frameMinBytesPerSecond?: number;
  /** Former name of frameReadTimeoutMs. */
  partialFrameTimeoutMs?: number;
  /** Open connections, all addresses together. Default 10000. */
  maxConnections?: number;
  /** Open connections from one remote address. Default 1000. */
  maxConnectionsPerAddress?: number;
  /** A connection idle between calls for this long is closed, ms (0 = never). Default 600000. */
  connectionIdleTimeoutMs?: number;
  /** How long the announced, not yet arrived, bytes of a frame count, ms. Default PROMISE_MS (1000). */
  announcedBytesHoldMs?: number;
  /** Decoding limits; batch and ack limits default to 1024 and MAX_ACKS. */
  decodeLimits?: Partial<DecodeLimits>;
  /** PEM certificate and key (and CA for mutual TLS): TLS on the port. */
  tls?: ServerTls;
}

export type RefusalReason = 'too_large' | 'busy' | 'malformed' | 'invalid' | 'timeout' | 'connections' | 'idle';

export interface ThriftServerEvents {
  /** Called when a frame or a connection is refused (for metrics). */
  onRefused?(reason: RefusalReason, bytes: number): void;
  /** Called whenever the bytes in flight change. */
  onInflight?(bytes: number): void;
}

/**
 * How long the announced, not yet arrived, bytes of a frame count against maxInflightBytes, ms from its length word
 * (a frame at loopback or LAN speed completes well within it; a trickler then holds only the bytes it sent).
 */
const PROMISE_MS = 1000;

/** Reads of a frame at least this large are kept as they are; smaller ones are copied into a staging chunk. */
const PIECE_MIN_BYTES = 16 * 1024;
const STAGE_BYTES = 64 * 1024;
/**
 * Plain-TCP connections read into one buffer of the server, reused for every read (Node's `onread` option), instead
 * of a new 64 KiB buffer per read; what a frame keeps is copied out of it (a frame spread over reads straight into a
 * buffer of its size). Fresh read buffers kept as pieces of large frames left holes in the allocator's heap that were
 * never given back: peak RSS under 128 concurrent 5 MiB sends was 436–582 MiB for a 256 MiB cap, with 175–349 MiB of
 * it in buffers (bench/gateway rss; 349–417 MiB since).
 */
const READ_BUFFER_BYTES = 64 * 1024;

interface Skip {
  left: number;
  reason: 'too_large' | 'busy';
  size: number;
  head: Buffer[];
  headBytes: number;
  answered: boolean;
}

/**
 * One client connection's frame reader: a small state machine (length word → payload, or → discarding a refused
 * frame). It never buffers more than one frame at a time, and counts its bytes as they arrive.
 */
class Connection {
  /** Pieces of a length word split over reads. */
  private lenChunks: Buffer[] = [];
  private lenHave = 0;
  /** Payload size of the frame being read; -1 while reading the 4-byte length. */
  private need = -1;
  /**
   * Payload bytes received (all counted in flight), and where they are until the frame is complete. Plain TCP
   * (reused read buffer): copied as they arrive into one buffer of the frame's size. TLS: the socket's reads
   * themselves (slices, no copy; small ones copied together into a staging chunk). Either way a frame being read
   * holds in resident memory what arrived, not what its length word announced.
   */
  private have = 0;
  private pieces: Buffer[] = [];
  private stage: Buffer | undefined;
  private stageLen = 0;
  /** Set while a refused frame streams in: bytes still to discard and the answer to give. */
  private skip: Skip | null = null;
  /** When the first byte of the current frame arrived (ms), and its deadline timer. */
  private frameStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** True while replies of this tick are being collected (see write). */
  private corked = false;
  /** Request and reply bytes of this connection in flight. */
  inflight = 0;
  /** Announced bytes of the frame being read that have not arrived yet, while they count (see PROMISE_MS). */
  promised = 0;
  promiseUntil = 0;
  /** Calls decoded and not answered yet. */
  pending = 0;
  closed = false;
  /** Subject CN of a verified client certificate (mutual TLS). */
  peerSubject: string | undefined;

  constructor(
    private readonly server: ThriftServer,
    readonly socket: net.Socket,
    readonly id: number,
    /** True when `onData` is handed a buffer that is reused after it returns: everything kept is copied. */
    private readonly reusedReads = false,
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
        if (this.lenHave === 0) this.frameStart = Date.now();
        let len: number;
        if (this.lenHave === 0 && buf.length >= 4) {
          // The whole length word is here (the usual case): read it in place.
          len = buf.readInt32BE(0);
          buf = buf.subarray(4);
        } else {
          const take = Math.min(4 - this.lenHave, buf.length);
          this.lenChunks.push(Buffer.from(buf.subarray(0, take)));
          this.lenHave += take;
          buf = buf.subarray(take);
          if (this.lenHave < 4) break;
          len = Buffer.concat(this.lenChunks, 4).readInt32BE(0);
          this.lenChunks = [];
          this.lenHave = 0;
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
      if (!this.server.grow(this, take)) {
        // The arriving bytes would take the server over its cap: drop what we have, discard the rest, answer BUSY.
        const head = this.headOfPieces();
        const size = this.need;
        this.server.unpromise(this);
        this.server.shrink(this, this.have);
        this.skip = { left: size - this.have, reason: 'busy', size, head: [head], headBytes: head.length, answered: false };
        this.clearPieces();
        this.have = 0;
        this.need = -1;
        continue;
      }
      let frame: Buffer | undefined;
      if (this.have === 0 && take === this.need) {
        // The whole payload is in this read: used in place.
        frame = this.reusedReads ? Buffer.from(buf.subarray(0, take)) : buf.subarray(0, take);
      } else {
        // A payload spread over reads is kept as those reads and joined once complete (one copy, as before), not
        // copied into a buffer of the announced size as it arrives: memory then grows with the bytes that came (a
        // reused heap block of the announced size is resident at once, whatever was written into it).
        this.addPiece(buf.subarray(0, take));
      }
      this.have += take;
      buf = buf.subarray(take);
      if (this.have === this.need) {
        const size = this.need;
        this.server.unpromise(this);
        if (!frame) {
          this.flushStage();
          frame = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, size);
          this.clearPieces();
        }
        this.have = 0;
        this.need = -1;
        this.frameStart = 0;
        this.server.dispatch(this, frame, size);
      }
    }
    this.arm();
  }

  /** Keeps one read's part of the frame being read (see `pieces`). */
  private addPiece(b: Buffer): void {
    if (b.length >= PIECE_MIN_BYTES && !this.reusedReads) {
      this.flushStage();
      this.pieces.push(b);
      return;
    }
    if (!this.stage || this.stageLen + b.length > this.stage.length) {
      this.flushStage();
      // Copied reads go straight into one buffer of the frame's size: no join at the end, and its pages become
      // resident as the bytes arrive (the allocator maps large blocks lazily, or hands back pages already resident).
      this.stage = Buffer.allocUnsafe(this.reusedReads ? this.need - this.have : Math.min(STAGE_BYTES, this.need - this.have));
    }
    b.copy(this.stage, this.stageLen);
    this.stageLen += b.length;
  }

  private flushStage(): void {
    if (this.stage && this.stageLen > 0) this.pieces.push(this.stage.subarray(0, this.stageLen));
    this.stage = undefined;
    this.stageLen = 0;
  }

  private clearPieces(): void {
    this.pieces = [];
    this.stage = undefined;
    this.stageLen = 0;
  }

  /** A copy of the first bytes of the frame being read (up to a message head). */
  private headOfPieces(): Buffer {
    this.flushStage();
    const out = Buffer.alloc(Math.min(this.have, MESSAGE_HEAD_BYTES));
    let at = 0;
    for (const p of this.pieces) {
      if (at >= out.length) break;
      at += p.copy(out, at, 0, Math.min(p.length, out.length - at));
    }
    return out;
  }

  /** Discards bytes of a refused frame; answers it once its head has arrived. Returns what is left of `buf`. */
  private discard(buf: Buffer): Buffer {
    const s = this.skip as Skip;
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
    // Answered as soon as the call's head is complete (a huge frame's sender may wait for the answer).
    const parsed = s.answered ? null : parseMessageHead(Buffer.concat(s.head, s.headBytes));
    if (!s.answered && (parsed || s.headBytes >= MESSAGE_HEAD_BYTES || s.left === 0)) {
      s.answered = true;
      const head = parsed;
      if (!head || (head.name !== 'send' && head.name !== 'get')) {
        this.server.refused('malformed', s.size, this);
        this.destroy(`refused frame of ${s.size} bytes does not start with a send/get call`);
        return Buffer.alloc(0);
      }
      this.server.answerRefused(this, head, s.reason, s.size);
    }
    if (s.left === 0) {
      this.skip = null;
      this.frameStart = 0;
    }
    return buf.subarray(take);
  }

  /** Keeps the deadline timer of the frame in progress (none between frames). */
  private arm(): void {
    if (this.closed || !this.midFrame()) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = 0;
      return;
    }
    const at = this.server.frameDeadline(this.frameStart, this.skip ? this.skip.size : this.need);
    if (at === 0 || at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed && this.midFrame()) {
        const size = this.skip ? this.skip.size : this.need;
        this.server.refused('timeout', size, this);
        this.destroy(`frame of ${size < 0 ? 'unknown' : size} bytes not received within ${at - this.frameStart} ms (frameReadTimeoutMs, frameMinBytesPerSecond)`);
      }
    }, Math.max(0, at - Date.now()));
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
    return this.lenHave > 0 || this.need > 0 || this.skip !== null;
  }

  /** Bytes of a frame that was still arriving (released when the connection goes away). */
  partialBytes(): number {
    return this.have;
  }

  destroy(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.server.unpromise(this);
    this.server.logConnection(this, reason);
    this.socket.destroy();
  }

  /** Drops the frame being received (connection closed). */
  dropPieces(): void {
    this.server.unpromise(this);
    this.clearPieces();
    this.have = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class ThriftServer {
  private server: net.Server | undefined;
  private readonly processor: { process(input: unknown, output: unknown): void };
  private readonly conns = new Set<Connection>();
  /** Open sockets (TLS: handshakes included), all together and per remote address. */
  private sockets = 0;
  private readonly perAddress = new Map<string, number>();
  private nextId = 1;
  private inflight = 0;
  /** Announced, not yet arrived, bytes of frames being read (connections holding some in `promising`). */
  private promised = 0;
  private readonly promising = new Set<Connection>();
  private closing: Promise<void> | undefined;
  /** The call being decoded (the processor calls the handler synchronously from process()). */
  private current: CallContext | undefined;
  private readonly limits: DecodeLimits;
  private readonly frameBaseMs: number;
  private readonly frameRate: number;

  constructor(
    private readonly opts: ThriftServerOptions,
    handler: GatewayHandler,
    private readonly deps: { logger: Logger; events?: ThriftServerEvents },
  ) {
    // The generated processor calls methods of one argument; the context is the call being decoded.
    const wrapped = {
      send: (req: T.SendRequest) => handler.send(req, this.current),
      get: (req: T.GetRequest) => handler.get(req, this.current),
    };
    this.processor = new MessageGatewayService.Processor(wrapped) as unknown as { process(input: unknown, output: unknown): void };
    // Same bytes as the generated process_send, without copying every SendResult (see send-reply.ts).
    installSendProcess(this.processor, wrapped.send);
    this.limits = { maxBatchMessages: 1024, maxAcks: MAX_ACKS, ...DEFAULT_DECODE_LIMITS, ...opts.decodeLimits };
    this.frameBaseMs = opts.frameReadTimeoutMs ?? opts.partialFrameTimeoutMs ?? 10000;
    this.frameRate = opts.frameMinBytesPerSecond ?? 65536;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const onSocket = (socket: net.Socket): void => this.accept(socket);
    let server: net.Server;
    if (this.opts.tls) {
      const t = this.opts.tls;
      const ts = tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}),
          handshakeTimeout: this.frameBaseMs > 0 ? this.frameBaseMs : 120000,
        },
        onSocket,
      );
      // Connection caps apply before the handshake is paid for.
      ts.prependListener('connection', (raw: net.Socket) => {
        if (!this.admitSocket(raw)) raw.destroy();
      });
      // A failed handshake only concerns that client.
      ts.on('tlsClientError', (err: Error) => this.deps.logger.debug({ err: err.message }, 'TLS handshake failed'));
      server = ts;
    } else {
      server = net.createServer({ pauseOnConnect: true }, (accepted) => {
        const socket = this.withReadBuffer(accepted, server);
        if (!this.admitSocket(socket)) {
          socket.on('error', () => undefined);
          socket.destroy();
          return;
        }
        this.accept(socket, true);
      });
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

  /** Replaces the TLS certificate, key and CA for new connections (reload on SIGHUP or file change). */
  reloadTls(material: ServerTls): void {
    if (!(this.server instanceof tls.Server)) throw new MqError('INVALID_OPTION', 'gateway: TLS material given to a plain-TCP listener');
    this.server.setSecureContext({ cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) });
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

  /** Counts a new socket against the connection caps; false when it must be closed. */
  private admitSocket(raw: net.Socket): boolean {
    const addr = raw.remoteAddress ?? '';
    const max = this.opts.maxConnections ?? 10000;
    const perAddr = this.opts.maxConnectionsPerAddress ?? 1000;
    const n = this.perAddress.get(addr) ?? 0;
    if (addr === '' || this.sockets >= max || n >= perAddr) {
      this.refusedConnection(addr, this.sockets >= max ? `maxConnections ${max}` : `maxConnectionsPerAddress ${perAddr}`);
      return false;
    }
    this.sockets++;
    this.perAddress.set(addr, n + 1);
    raw.once('close', () => {
      this.sockets--;
      const left = (this.perAddress.get(addr) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(addr);
      else this.perAddress.set(addr, left);
    });
    return true;
  }

  private lastConnWarn = 0;

  private refusedConnection(addr: string, limit: string): void {
    this.deps.events?.onRefused?.('connections', 0);
    // One warning per second at most: a flood must not flood the log too.
    const now = Date.now();
    if (now - this.lastConnWarn >= 1000) {
      this.lastConnWarn = now;
      this.deps.logger.warn({ remote: addr, limit }, `Thrift connection refused: ${limit} reached`);
    }
  }

  /** The server's one read buffer (plain TCP), handed to every connection's reads in turn. */
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  /** Called with each read of a plain-TCP socket (in `readBuffer`); set in accept. */
  private readonly readers = new WeakMap<net.Socket, (n: number, buf: Buffer) => void>();

  /**
   * A socket over the accepted (paused) connection's handle that reads into `readBuffer`. Node offers `onread` only
   * to sockets it creates from options, so the handle moves to a new socket; the accepted one is left without it
   * (inert), and the new one counts as the listener's connection in its place.
   */
  private withReadBuffer(accepted: net.Socket, server: net.Server): net.Socket {
    const internal = accepted as unknown as { _handle: unknown };
    const handle = internal._handle;
    internal._handle = null;
    const socket: net.Socket = new net.Socket({
      handle,
      readable: true,
      writable: true,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          this.readers.get(socket)?.(n, buf as Buffer);
          return true;
        },
      },
    } as net.SocketConstructorOpts);
    (socket as unknown as { _server: net.Server })._server = server;
    return socket;
  }

  /** Sets up a new connection: frame reader, idle timeout, error and close handling. */
  private accept(socket: net.Socket, reusedReads = false): void {
    const conn = new Connection(this, socket, this.nextId++, reusedReads);
    this.conns.add(conn);
    socket.setNoDelay(true);
    if (socket instanceof tls.TLSSocket && this.opts.tls?.ca && socket.authorized) {
      const cert = socket.getPeerCertificate();
      const cn = cert?.subject?.CN;
      conn.peerSubject = Array.isArray(cn) ? cn[0] : cn;
    }
    const idle = this.opts.connectionIdleTimeoutMs ?? 600000;
    if (idle > 0) {
      // The socket's timer does not re-arm itself once it fired: a connection that was busy (a call pending, a frame
      // arriving) gets a new period.
      socket.on('timeout', () => {
        if (!conn.midFrame() && conn.pending === 0) {
          this.deps.events?.onRefused?.('idle', 0);
          conn.destroy(`idle for ${idle} ms between calls (connectionIdleTimeoutMs)`);
        } else socket.setTimeout(idle);
      });
      socket.setTimeout(idle);
    }
    const onData = (d: Buffer): void => {
      try {
        conn.onData(d);
      } catch (err) {
        // A bug in frame handling must cost one connection, never the process.
        this.deps.logger.error({ err, conn: conn.id }, 'frame handling failed');
        conn.destroy('frame handling failed');
      }
    };
    if (reusedReads) {
      this.readers.set(socket, (n, buf) => onData(buf.subarray(0, n)));
      socket.resume();
    } else socket.on('data', onData);
    socket.on('error', (err: Error) => this.deps.logger.debug({ err: err.message, conn: conn.id }, 'connection error'));
    socket.on('close', () => {
      conn.closed = true;
      this.conns.delete(conn);
      const partial = conn.partialBytes();
      conn.dropPieces();
      if (partial > 0) this.release(conn, partial);
    });
  }

  /**
   * When a frame that started at `start` (ms) with `size` bytes (-1: not known yet) must be complete; 0 = never. A
   * frame over maxFrameBytes (discarded) gets no more time than the largest accepted one.
   */
  frameDeadline(start: number, size: number): number {
    if (this.frameBaseMs <= 0) return 0;
    const counted = Math.min(size, this.opts.maxFrameBytes);
    const extra = counted > 0 && this.frameRate > 0 ? Math.ceil((counted * 1000) / this.frameRate) : 0;
    return start + this.frameBaseMs + extra;
  }

  /**
   * Decides whether a frame of `size` bytes may be read: it must fit next to the bytes in flight and the announced
   * rest of the frames being read. An admitted frame's size counts as announced until its bytes arrive.
   */
  admit(conn: Connection, size: number): 'too_large' | 'busy' | null {
    if (size > this.opts.maxFrameBytes) return 'too_large';
    if (conn.inflight + size > this.opts.maxInflightBytesPerConnection) return 'busy';
    if (this.inflight + this.promised + size > this.opts.maxInflightBytes) {
      // Announcements older than PROMISE_MS stop counting (their frames hold only what arrived).
      const now = Date.now();
      for (const c of this.promising) if (c.promiseUntil <= now) this.unpromise(c);
      if (this.inflight + this.promised + size > this.opts.maxInflightBytes) return 'busy';
    }
    conn.promised = size;
    conn.promiseUntil = Date.now() + (this.opts.announcedBytesHoldMs ?? PROMISE_MS);
    this.promised += size;
    this.promising.add(conn);
    return null;
  }

  /** Stops counting the announced rest of the connection's frame (complete, refused, timed out or closed). */
  unpromise(conn: Connection): void {
    if (conn.promised === 0) return;
    this.promised -= conn.promised;
    conn.promised = 0;
    this.promising.delete(conn);
  }

  /** Counts arriving bytes of a frame; false when they would take the total over maxInflightBytes. */
  grow(conn: Connection, bytes: number): boolean {
    if (this.inflight + bytes > this.opts.maxInflightBytes) return false;
    if (conn.promised > 0) {
      // Arrived bytes move from announced to in flight.
      const k = Math.min(conn.promised, bytes);
      conn.promised -= k;
      this.promised -= k;
      if (conn.promised === 0) this.promising.delete(conn);
    }
    this.reserve(conn, bytes);
    return true;
  }

  shrink(conn: Connection, bytes: number): void {
    if (bytes > 0) this.release(conn, bytes);
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

  refused(reason: RefusalReason, bytes: number, conn: Connection): void {
    this.deps.events?.onRefused?.(reason, bytes);
    this.deps.logger.warn({ reason, bytes, conn: conn.id, remote: conn.socket.remoteAddress }, 'Thrift frame refused');
  }

  logConnection(conn: Connection, reason: string): void {
    this.deps.logger.info({ conn: conn.id, remote: conn.socket.remoteAddress, reason }, 'closing Thrift connection');
  }

  /** Runs one complete frame through the generated processor; its reply releases the reservation. */
  dispatch(conn: Connection, frame: Buffer, size: number): void {
    let replied = false;
    let finished = false;
    const after: Array<() => void> = [];
    const finish = (): void => {
      finished = true;
      for (const fn of after.splice(0)) {
        try {
          fn();
        } catch (err) {
          this.deps.logger.error({ err }, 'reply hook failed');
        }
      }
    };
    const output = new ReplyProtocol(
      new FrameWriter((parts, total) => {
        if (replied) return;
        replied = true;
        conn.pending--;
        // The reply is in flight until the socket took it; the request's bytes are free once the reply exists.
        this.reserve(conn, total);
        this.release(conn, size);
        conn.write(parts, () => {
          this.release(conn, total);
          finish();
        });
      }),
    );
    const input = new LimitedProtocol(new thrift.TFramedTransport(frame), this.limits);
    conn.pending++;
    this.current = {
      onReplied: (fn) => {
        if (finished) fn();
        else after.push(fn);
      },
      remoteAddress: conn.socket.remoteAddress ?? '',
      peerSubject: conn.peerSubject,
    };
    try {
      this.processor.process(input, output);
    } catch (err) {
      if (!replied) {
        replied = true;
        conn.pending--;
        this.release(conn, size);
        finish();
      }
      const head = parseMessageHead(frame.subarray(0, MESSAGE_HEAD_BYTES));
      const why = (err as Error)?.message || (err as Error)?.name || String(err);
      if (head && (head.name === 'send' || head.name === 'get') && err instanceof DecodeLimitError) {
        // A well-formed call over a decoding limit: answered, the connection keeps serving.
        this.refused('invalid', size, conn);
        this.answerError(conn, head, new MqError('INVALID_ARGUMENT', `request refused while decoding: ${why}`));
      } else if (head && (head.name === 'send' || head.name === 'get')) {
        // A call whose arguments cannot be decoded (wrong types, truncated): answered, then the connection is closed
        // (the client's encoder is not to be trusted further).
        this.refused('malformed', size, conn);
        this.answerError(conn, head, new MqError('INVALID_ARGUMENT', `request could not be decoded (${why}); the connection is closed`), () =>
          conn.destroy(`undecodable Thrift message: ${why}`),
        );
      } else {
        this.refused('malformed', size, conn);
        conn.destroy(`undecodable Thrift message: ${(err as Error)?.message || (err as Error)?.name || String(err)}`);
      }
    } finally {
      this.current = undefined;
    }
  }

  /** Answers a refused frame's call with a GatewayError (PAYLOAD_TOO_LARGE or BUSY). */
  answerRefused(conn: Connection, head: MessageHead, reason: 'too_large' | 'busy', size: number): void {
    this.refused(reason, size, conn);
    this.answerError(
      conn,
      head,
      reason === 'too_large'
        ? new MqError(
            'PAYLOAD_TOO_LARGE',
            `request frame of ${size} bytes exceeds the gateway's frame limit of ${this.opts.maxFrameBytes} bytes (maxMessageSize + frameHeadroomBytes); send fewer or smaller messages per call`,
          )
        : new MqError(
            'BUSY',
            `gateway busy: a request of ${size} bytes would exceed the in-flight cap (maxInflightBytes ${this.opts.maxInflightBytes}, per connection maxInflightBytesPerConnection ${this.opts.maxInflightBytesPerConnection})`,
          ),
    );
  }

  /** Writes a GatewayError reply to the call `head` names. */
  private answerError(conn: Connection, head: MessageHead, error: MqError, then?: () => void): void {
    if (head.type === 4) {
      // oneway: no reply
      then?.();
      return;
    }
    const err = toGatewayError(error, this.opts.busyRetryAfterMs);
    const out = new ReplyProtocol(
      new FrameWriter((parts, total) => {
        this.reserve(conn, total);
        conn.write(parts, () => {
          this.release(conn, total);
          then?.();
        });
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
