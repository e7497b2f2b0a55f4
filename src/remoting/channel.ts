/**
 * One TCP connection carrying remoting frames in both directions (ref §1.6): the server side and the client side
 * both use it. It splits incoming bytes into commands, matches responses to pending requests by opaque, writes
 * frames without copying bodies, and enforces the idle and partial-frame timeouts.
 */
import type { Socket } from 'net';
import { MqError } from '../common';
import { RemotingCommand } from './command';
import { FrameDecoder } from './protocol/frame-decoder';
import { encodeCommandParts } from './protocol/frame';
import { badFrame } from './protocol/errors';

/** What processors and server events see of a connection (contract in /work/briefs/contracts.md). */
export interface Channel {
  readonly id: string;
  /** Peer `ip:port`; IPv4-mapped IPv6 addresses are shown in IPv4 form. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly closed: boolean;
  /** Writes one frame (for example a server→client oneway request). Dropped silently when closed. */
  send(cmd: RemotingCommand): void;
  close(): void;
}

/** Callbacks a channel reports to its owner. */
export interface ChannelHandlers {
  /** A request (or oneway) arrived. */
  onRequest(cmd: RemotingCommand, ch: RemotingChannel): void;
  /** The stream was malformed or stalled; the channel is already closing. */
  onBadFrame(err: MqError, ch: RemotingChannel): void;
  /** No read or write for idleTimeoutMs; the channel is already closing. */
  onIdle(ch: RemotingChannel): void;
  /** The socket has closed (always called exactly once). */
  onClose(ch: RemotingChannel): void;
  /** A socket error (the close follows). */
  onError(err: Error, ch: RemotingChannel): void;
}

export interface ChannelOptions {
  id: string;
  frameMaxLength: number;
  /** Close after this long without reads or writes; 0 disables. */
  idleTimeoutMs: number;
  /** Close when a partial frame sees no new bytes for this long; 0 disables. */
  partialFrameTimeoutMs: number;
  /**
   * Stop reading from the peer while more than this many bytes wait to be written to it, and read again once they
   * have drained (0 = never). Servers use it so that a peer that sends requests but never reads the answers cannot
   * grow the server's memory. Clients leave it off: both ends pausing at once could deadlock.
   */
  pauseReadsAboveBytes?: number;
  /**
   * When the frames written since the last flush leave (one writev for all of them): 'tick' (default) at the end of
   * the current callback (process.nextTick), 'loop' once this turn of the event loop has handled all of its I/O
   * (setImmediate), so that requests sent while serving several sockets' reads in one turn share one syscall, and
   * the peer one read. Clients use 'loop': a gateway serving many callers sends one write to the broker per turn
   * instead of one per caller.
   */
  coalesce?: 'tick' | 'loop';
}

interface Pending {
  resolve(res: RemotingCommand): void;
  reject(err: MqError): void;
  timer: NodeJS.Timeout;
}

/** `ip:port`, with `::ffff:a.b.c.d` shown as `a.b.c.d`. */
export function formatAddress(ip: string | undefined, port: number | undefined): string {
  const host = ip === undefined ? '?' : ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  return `${host}:${port ?? 0}`;
}

export class RemotingChannel implements Channel {
  readonly id: string;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private isClosed = false;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private partialTimer: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;
  private corked = false;
  private readsPaused = false;

  constructor(
    readonly socket: Socket,
    private readonly opts: ChannelOptions,
    private readonly handlers: ChannelHandlers,
  ) {
    this.id = opts.id;
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.decoder = new FrameDecoder(opts.frameMaxLength);
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      if (this.isClosed) return;
      this.closeReason = 'idle';
      this.handlers.onIdle(this);
      this.destroy();
    });
    socket.on('error', (err) => this.handlers.onError(err, this));
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of requests waiting for a response. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes buffered for an incomplete frame. */
  get bufferedBytes(): number {
    return this.decoder.pendingBytes;
  }

  /** Bytes written but not yet handed to the kernel. */
  get writeBufferedBytes(): number {
    return this.socket.writableLength;
  }

  send(cmd: RemotingCommand): void {
    if (this.isClosed) return;
    const parts = encodeCommandParts(cmd);
    // Frames written in the same tick leave in one writev (one syscall for a burst of pipelined responses), and a
    // body buffer is handed to the socket as is, never copied.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      if (this.opts.coalesce === 'loop') setImmediate(this.flush);
      else process.nextTick(this.flush);
    }
    this.socket.write(parts[0]);
    if (parts.length === 2) this.socket.write(parts[1]);
    const cap = this.opts.pauseReadsAboveBytes ?? 0;
    if (cap > 0 && !this.readsPaused && this.socket.writableLength > cap) this.pauseReads();
  }

  /** Backpressure: no more requests are read from a peer that does not read its answers (see pauseReadsAboveBytes). */
  private pauseReads(): void {
    this.readsPaused = true;
    this.socket.pause();
    // The peer is not stalling while we do not read: stop the partial-frame clock until reading resumes.
    this.clearPartialTimer();
    this.socket.once('drain', () => {
      this.readsPaused = false;
      if (this.isClosed) return;
      this.socket.resume();
      if (this.decoder.hasPartial) this.armPartialTimer();
    });
  }

  /** Ends the current write batch (see send()). */
  private readonly flush = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /**
   * Sends `req` and resolves with the response of the same opaque. Rejects MqError TIMEOUT after `timeoutMs`, or
   * CLOSED when the connection goes away first.
   */
  invoke(req: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.isClosed) {
      return Promise.reject(new MqError('CLOSED', `connection to ${this.remoteAddress} is closed`));
    }
    return new Promise<RemotingCommand>((resolve, reject) => {
      const opaque = req.opaque;
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(
          new MqError('TIMEOUT', `no response from ${this.remoteAddress} to code ${req.code} within ${timeoutMs} ms`, {
            details: { peer: this.remoteAddress, code: req.code, timeoutMs },
          }),
        );
      }, Math.max(0, timeoutMs));
      this.pending.set(opaque, { resolve, reject, timer });
      try {
        this.send(req);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(opaque);
        reject(MqError.is(err) ? err : new MqError('INVALID_ARGUMENT', (err as Error).message, { cause: err }));
      }
    });
  }

  /** Closes gracefully: pending writes are flushed, then the socket is destroyed if the peer lingers. */
  close(): void {
    if (this.isClosed) return;
    this.closeReason ??= 'closed locally';
    this.markClosed();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Closes at once, dropping anything unsent. */
  destroy(): void {
    if (!this.isClosed) this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.isClosed = true;
    this.clearPartialTimer();
    this.decoder.reset();
    this.failPending();
  }

  private failPending(): void {
    if (this.pending.size === 0) return;
    const reason = this.closeReason ?? 'closed';
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(
        new MqError('CLOSED', `connection to ${this.remoteAddress} closed (${reason}) before the response arrived`, {
          details: { peer: this.remoteAddress },
        }),
      );
    }
    this.pending.clear();
  }

  private onSocketClose(): void {
    const wasClosed = this.isClosed;
    this.closeReason ??= 'closed by peer';
    if (!wasClosed) this.markClosed();
    this.handlers.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    try {
      // Commands are dispatched as they are decoded, so frames ahead of a bad one are still served.
      this.decoder.feed(chunk, (cmd) => {
        if (this.isClosed) return;
        try {
          if (cmd.isResponse()) this.onResponse(cmd);
          else this.handlers.onRequest(cmd, this);
        } catch (err) {
          // A failing handler is the owner's bug, not the peer's: report it and keep reading.
          this.handlers.onError(err as Error, this);
        }
      });
    } catch (err) {
      if (this.isClosed) return;
      this.closeReason = 'bad frame';
      this.destroy();
      this.handlers.onBadFrame(err as MqError, this);
      return;
    }
    if (this.isClosed || this.readsPaused) return;
    // A partial frame that stops growing for partialFrameTimeoutMs is a stalled peer.
    if (this.decoder.hasPartial) this.armPartialTimer();
    else this.clearPartialTimer();
  }

  private onResponse(res: RemotingCommand): void {
    const p = this.pending.get(res.opaque);
    // Responses nobody waits for (late, or answers to oneway requests) are dropped quietly (ref §1.6).
    if (!p) return;
    this.pending.delete(res.opaque);
    clearTimeout(p.timer);
    p.resolve(res);
  }

  private armPartialTimer(): void {
    if (this.opts.partialFrameTimeoutMs <= 0) return;
    if (this.partialTimer) {
      // Progress was made: restart the clock without allocating a new timer.
      this.partialTimer.refresh();
      return;
    }
    this.partialTimer = setTimeout(() => {
      if (this.isClosed) return;
      const held = this.decoder.pendingBytes;
      this.closeReason = 'stalled frame';
      this.destroy();
      this.handlers.onBadFrame(
        badFrame(
          'partial_timeout',
          `peer ${this.remoteAddress} sent part of a frame (${held} bytes) and nothing more for ` +
            `${this.opts.partialFrameTimeoutMs} ms (option partialFrameTimeoutMs)`,
          { held },
        ),
        this,
      );
    }, this.opts.partialFrameTimeoutMs);
    this.partialTimer.unref();
  }

  private clearPartialTimer(): void {
    if (this.partialTimer) {
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    }
  }
}
