/**
 * RemotingClient: calls remote servers by address (ref §1.6). One connection per address, opened lazily, reused by
 * every call, and opened again after a break. Responses are matched by opaque; each call has its own timeout.
 * Requests the server sends to us are handed to the `onRequest` handler.
 */
import net from 'net';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import { MqError, splitHostPort } from '../common';
import { RemotingChannel } from './channel';
import { applySigner } from './auth';
import type { RequestSigner } from './auth';
import { ResponseCode } from './codes';
import { RemotingCommand } from './command';
import { remotingMetrics } from './metrics';
import type { RemotingMetrics } from './metrics';
import { DEFAULT_FRAME_MAX_LENGTH } from './protocol/frame';
import { notSupportedRemark } from './server';

export interface RemotingClientOptions {
  /** Give up connecting after this many ms (default 3000, ref §1.6). */
  connectTimeoutMs?: number;
  /** Timeout of a call when none is given, in ms (default 3000). */
  defaultTimeoutMs?: number;
  /** Largest frame accepted, length word included, in bytes (default 16 MiB). */
  frameMaxLength?: number;
  /** Close connections with no reads or writes for this many ms (default 120 000; 0 = never). */
  idleTimeoutMs?: number;
  /** Close a connection whose partial frame gets no new bytes for this many ms (default 30 000). */
  partialFrameTimeoutMs?: number;
  logger?: pino.Logger;
  registry?: Registry;
  /** Signs every request right before it is sent (cluster secret and/or RocketMQ ACL account). */
  signer?: RequestSigner;
}

/** Handles a request the server sent to this client. */
export type ClientRequestHandler = (
  req: RemotingCommand,
  addr: string,
) => RemotingCommand | null | Promise<RemotingCommand | null>;

/** The connection state of one address: open, or being opened (calls made meanwhile share the attempt). */
interface Slot {
  channel?: RemotingChannel;
  connecting?: Promise<RemotingChannel>;
}

export class RemotingClient {
  private readonly slots = new Map<string, Slot>();
  private handler: ClientRequestHandler | undefined;
  private readonly connectTimeoutMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly frameMaxLength: number;
  private readonly idleTimeoutMs: number;
  private readonly partialFrameTimeoutMs: number;
  private readonly log: pino.Logger | undefined;
  private readonly metrics: RemotingMetrics;
  private readonly signer: RequestSigner | undefined;
  private nextId = 0;
  private closed = false;

  constructor(opts: RemotingClientOptions = {}) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 3000;
    this.frameMaxLength = opts.frameMaxLength ?? DEFAULT_FRAME_MAX_LENGTH;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    this.partialFrameTimeoutMs = opts.partialFrameTimeoutMs ?? 30_000;
    this.log = opts.logger?.child({ component: 'remoting-client' });
    this.metrics = remotingMetrics(opts.registry);
    this.signer = opts.signer;
  }

  /** Sets the handler of server→client requests. Without one, non-oneway requests get REQUEST_CODE_NOT_SUPPORTED. */
  onRequest(handler: ClientRequestHandler): void {
    this.handler = handler;
  }

  /** Sends `req` to `addr` and resolves with the response. Rejects MqError TIMEOUT, UNAVAILABLE or CLOSED. */
  async invokeSync(addr: string, req: RemotingCommand, timeoutMs = this.defaultTimeoutMs): Promise<RemotingCommand> {
    // The timeout covers connecting too, as in Java's invokeSync.
    const started = Date.now();
    const ch = await this.channelFor(addr, timeoutMs);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) {
      throw new MqError('TIMEOUT', `no time left to send code ${req.code} to ${addr} after connecting (${timeoutMs} ms)`);
    }
    applySigner(req, this.signer);
    return ch.invoke(req, left);
  }

  /** Callback form of invokeSync. */
  invokeAsync(
    addr: string,
    req: RemotingCommand,
    timeoutMs: number,
    cb: (err: MqError | null, res?: RemotingCommand) => void,
  ): void {
    this.invokeSync(addr, req, timeoutMs).then(
      (res) => cb(null, res),
      (err: unknown) => cb(MqError.is(err) ? err : new MqError('INTERNAL', String(err), { cause: err })),
    );
  }

  /** Sends `req` marked oneway; resolves once it has been handed to the socket. */
  async invokeOneway(addr: string, req: RemotingCommand): Promise<void> {
    req.markOneway();
    const ch = await this.channelFor(addr, this.connectTimeoutMs);
    applySigner(req, this.signer);
    ch.send(req);
  }

  /** Closes the connection to `addr`; the next call opens a new one. */
  closeChannel(addr: string): void {
    const slot = this.slots.get(addr);
    if (!slot) return;
    this.slots.delete(addr);
    slot.channel?.close();
    slot.connecting?.then(
      (ch) => ch.close(),
      () => undefined,
    );
  }

  /** Closes every connection; later calls reject with CLOSED. */
  async close(): Promise<void> {
    // Later calls fail fast instead of reconnecting.
    this.closed = true;
    const waits: Promise<unknown>[] = [];
    for (const [addr, slot] of this.slots) {
      if (slot.channel) {
        const ch = slot.channel;
        waits.push(new Promise<void>((r) => (ch.socket.destroyed ? r() : ch.socket.once('close', () => r()))));
      }
      this.closeChannel(addr);
    }
    await Promise.all(waits);
  }

  /**
   * The open connection to `addr`, or a new one. Concurrent callers share one connect attempt; a failed attempt is
   * forgotten so that the next call tries again (reconnect after a break is just this path).
   */
  private channelFor(addr: string, timeoutMs: number): Promise<RemotingChannel> {
    if (this.closed) return Promise.reject(new MqError('CLOSED', 'remoting client is closed'));
    let slot = this.slots.get(addr);
    if (slot?.channel && !slot.channel.closed) return Promise.resolve(slot.channel);
    if (slot?.connecting) return slot.connecting;
    slot = {};
    this.slots.set(addr, slot);
    const s = slot;
    s.connecting = this.connect(addr, Math.min(timeoutMs, this.connectTimeoutMs)).then(
      (ch) => {
        s.connecting = undefined;
        if (this.slots.get(addr) !== s || this.closed) {
          ch.close();
          throw new MqError('CLOSED', `connection to ${addr} was closed while connecting`);
        }
        s.channel = ch;
        return ch;
      },
      (err: unknown) => {
        if (this.slots.get(addr) === s) this.slots.delete(addr);
        throw err;
      },
    );
    return s.connecting;
  }

  /** Opens a TCP connection, failing with UNAVAILABLE after `timeoutMs` or on a socket error. */
  private connect(addr: string, timeoutMs: number): Promise<RemotingChannel> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = splitHostPort(addr));
    } catch (err) {
      return Promise.reject(new MqError('INVALID_ARGUMENT', (err as Error).message));
    }
    return new Promise<RemotingChannel>((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new MqError('UNAVAILABLE', `cannot connect to ${addr} within ${timeoutMs} ms (option connectTimeoutMs)`, {
            details: { peer: addr },
          }),
        );
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new MqError('UNAVAILABLE', `cannot connect to ${addr}: ${err.message}`, { cause: err, details: { peer: addr } }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(this.wrap(addr, socket));
      });
    });
  }

  /** Wraps a connected socket; its close forgets the slot so that the next call reconnects. */
  private wrap(addr: string, socket: net.Socket): RemotingChannel {
    return new RemotingChannel(
      socket,
      {
        id: `client-${++this.nextId}`,
        frameMaxLength: this.frameMaxLength,
        idleTimeoutMs: this.idleTimeoutMs,
        partialFrameTimeoutMs: this.partialFrameTimeoutMs,
        coalesce: 'loop',
      },
      {
        onRequest: (cmd, ch) => this.onServerRequest(addr, cmd, ch),
        onBadFrame: (err, ch) => {
          this.metrics.badFrames.inc({ name: 'client', reason: String(err.details.reason ?? 'bad_header') });
          this.log?.warn({ peer: ch.remoteAddress, error: err.message }, 'bad frame from server, connection closed');
        },
        onIdle: (ch) => this.log?.debug({ peer: ch.remoteAddress }, 'idle connection closed'),
        onClose: (ch) => {
          const slot = this.slots.get(addr);
          if (slot?.channel === ch) this.slots.delete(addr);
        },
        onError: (err, ch) => this.log?.debug({ peer: ch.remoteAddress, err: err.message }, 'connection error'),
      },
    );
  }

  /**
   * A request from the server (e.g. NOTIFY_CONSUMER_IDS_CHANGED, ref §2.1): the handler's answer is sent back with
   * the request's opaque; oneway requests are never answered.
   */
  private onServerRequest(addr: string, req: RemotingCommand, ch: RemotingChannel): void {
    const answer = (res: RemotingCommand | null): void => {
      if (!res || req.isOneway() || ch.closed) return;
      res.opaque = req.opaque;
      res.markResponse();
      res.serializeType = req.serializeType;
      ch.send(res);
    };
    if (!this.handler) {
      answer(RemotingCommand.createResponse(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, notSupportedRemark(req.code)));
      return;
    }
    const fail = (err: unknown): void => {
      this.log?.warn({ peer: addr, code: req.code, err }, 'request handler failed');
      answer(RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, err instanceof Error ? err.message : String(err)));
    };
    try {
      const r = this.handler(req, addr);
      if (r instanceof Promise) r.then(answer, fail);
      else answer(r);
    } catch (err) {
      fail(err);
    }
  }
}
