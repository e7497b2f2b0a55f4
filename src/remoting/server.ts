/**
 * RemotingServer: a TCP listener that dispatches requests to processors by code (ref §1.6).
 *
 * - A processor's result gets the request's opaque, the response flag and the request's serialize type.
 * - null → nothing is sent; a throw → SYSTEM_ERROR with the message as remark (not for oneway requests).
 * - No processor and no default processor → REQUEST_CODE_NOT_SUPPORTED " request type <code> not supported",
 *   sent even for oneway requests, as Java does.
 * - A processor may answer much later (long polling); the connection keeps serving other requests meanwhile.
 * - Bad frames, stalled partial frames and idle connections close only that connection.
 */
import { EventEmitter } from 'events';
import net from 'net';
import type { AddressInfo } from 'net';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import { MqError } from '../common';
import { RemotingChannel } from './channel';
import type { Channel } from './channel';
import { ResponseCode } from './codes';
import { RemotingCommand } from './command';
import { remotingMetrics, codeLabel } from './metrics';
import type { RemotingMetrics } from './metrics';
import { DEFAULT_FRAME_MAX_LENGTH } from './protocol/frame';
import { badFrameReason } from './protocol/errors';

/**
 * Runs before any processor (RocketMQ's RPCHook.doBeforeRequest): authentication and permission checks live here,
 * once for every code. Returns a response to send instead of processing the request, or undefined to go on.
 */
export type RequestHook = (req: RemotingCommand, channel: Channel) => RemotingCommand | undefined;

/** Handles one request code. */
export type Processor = (
  req: RemotingCommand,
  channel: Channel,
) => RemotingCommand | null | Promise<RemotingCommand | null>;

export interface RemotingServerOptions {
  /** TCP port; 0 picks a free one (see start()). */
  listenPort: number;
  /** Address to bind; all interfaces when absent. */
  host?: string;
  /** Largest frame accepted, length word included, in bytes (default 16 MiB, ref §1.1). */
  frameMaxLength?: number;
  /** Close connections with no reads or writes for this many ms (default 120 000, serverChannelMaxIdleTimeSeconds). */
  idleTimeoutMs?: number;
  /** Close a connection whose partial frame gets no new bytes for this many ms (default 30 000). */
  partialFrameTimeoutMs?: number;
  /** Stop reading a connection while more than this many answer bytes wait for it to read (default 8 MiB). */
  pauseReadsAboveBytes?: number;
  /** Server name for logs and the `name` metric label, e.g. `namesrv`. */
  name: string;
  logger: pino.Logger;
  registry?: Registry;
}

export interface RemotingServerEvents {
  connect: [Channel];
  close: [Channel];
  idle: [Channel];
  error: [Channel, Error];
}

/** Java's remark for an unknown code (note the leading space, ref §1.6). */
export function notSupportedRemark(code: number): string {
  return ` request type ${code} not supported`;
}

export class RemotingServer extends EventEmitter<RemotingServerEvents> {
  private readonly processors = new Map<number, Processor>();
  private defaultProcessor: Processor | undefined;
  private requestHook: RequestHook | undefined;
  private readonly server: net.Server;
  private readonly channels = new Set<RemotingChannel>();
  private readonly metrics: RemotingMetrics;
  private readonly log: pino.Logger;
  private readonly frameMaxLength: number;
  private readonly idleTimeoutMs: number;
  private readonly partialFrameTimeoutMs: number;
  private nextId = 0;
  private port = -1;

  constructor(private readonly opts: RemotingServerOptions) {
    super();
    this.frameMaxLength = opts.frameMaxLength ?? DEFAULT_FRAME_MAX_LENGTH;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    this.partialFrameTimeoutMs = opts.partialFrameTimeoutMs ?? 30_000;
    this.log = opts.logger.child({ server: opts.name });
    this.metrics = remotingMetrics(opts.registry);
    this.server = net.createServer((socket) => this.onConnection(socket));
    this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  registerProcessor(code: number, p: Processor): void {
    this.processors.set(code, p);
  }

  setDefaultProcessor(p: Processor): void {
    this.defaultProcessor = p;
  }

  /** Sets the check every request passes before dispatch (see {@link RequestHook}). */
  setRequestHook(hook: RequestHook | undefined): void {
    this.requestHook = hook;
  }

  /** Starts listening; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new MqError('UNAVAILABLE', `${this.opts.name}: cannot listen on port ${this.opts.listenPort}: ${err.message} (option listenPort)`, {
            cause: err,
          }),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ port: this.opts.listenPort, host: this.opts.host }, () => {
        this.server.off('error', onError);
        this.port = (this.server.address() as AddressInfo).port;
        this.log.info({ port: this.port }, 'listening');
        resolve(this.port);
      });
    });
  }

  /** The bound port (-1 before start()). */
  get listenPort(): number {
    return this.port;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.channels.size;
  }

  /** Sum of requests awaiting responses and bytes buffered for partial frames over every connection (for tests). */
  pendingState(): { connections: number; pendingRequests: number; bufferedBytes: number; writeBufferedBytes: number } {
    let pendingRequests = 0;
    let bufferedBytes = 0;
    let writeBufferedBytes = 0;
    for (const ch of this.channels) {
      pendingRequests += ch.pendingCount;
      bufferedBytes += ch.bufferedBytes;
      writeBufferedBytes += ch.writeBufferedBytes;
    }
    return { connections: this.channels.size, pendingRequests, bufferedBytes, writeBufferedBytes };
  }

  /** Sends a request to a connected client and waits for its response (server→client calls, ref §2.1). */
  invoke(channel: Channel, req: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (!(channel instanceof RemotingChannel) || !this.channels.has(channel)) {
      return Promise.reject(new MqError('CLOSED', `channel ${channel.id} is not open on ${this.opts.name}`));
    }
    return channel.invoke(req, timeoutMs);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ch of this.channels) ch.destroy();
    await closed;
  }

  private onConnection(socket: net.Socket): void {
    const ch = new RemotingChannel(
      socket,
      {
        id: `${this.opts.name}-${++this.nextId}`,
        frameMaxLength: this.frameMaxLength,
        idleTimeoutMs: this.idleTimeoutMs,
        partialFrameTimeoutMs: this.partialFrameTimeoutMs,
        pauseReadsAboveBytes: this.opts.pauseReadsAboveBytes ?? 8 * 1024 * 1024,
      },
      {
        onRequest: (cmd, c) => this.onRequest(cmd, c),
        onBadFrame: (err, c) => {
          const reason = badFrameReason(err) ?? 'bad_header';
          this.metrics.badFrames.inc({ name: this.opts.name, reason });
          this.log.warn({ peer: c.remoteAddress, reason, error: err.message }, 'bad frame, connection closed');
        },
        onIdle: (c) => {
          this.log.info({ peer: c.remoteAddress, idleTimeoutMs: this.idleTimeoutMs }, 'idle connection closed');
          this.emit('idle', c);
        },
        onClose: (c) => {
          if (!this.channels.delete(c)) return;
          this.metrics.connections.dec({ name: this.opts.name });
          this.emit('close', c);
        },
        onError: (err, c) => {
          this.log.debug({ peer: c.remoteAddress, err: err.message }, 'connection error');
          // An 'error' event with no listener would throw; only emit when somebody listens.
          if (this.listenerCount('error') > 0) this.emit('error', c, err);
        },
      },
    );
    this.channels.add(ch);
    this.metrics.connections.inc({ name: this.opts.name });
    this.emit('connect', ch);
  }

  private onRequest(req: RemotingCommand, ch: RemotingChannel): void {
    this.metrics.requests.inc({ name: this.opts.name, code: codeLabel(req.code) });
    if (this.requestHook) {
      let refused: RemotingCommand | undefined;
      try {
        refused = this.requestHook(req, ch);
      } catch (err) {
        this.onProcessorError(req, ch, err);
        return;
      }
      if (refused) {
        this.log.warn({ peer: ch.remoteAddress, code: req.code, response: refused.code, remark: refused.remark }, 'request refused');
        if (!req.isOneway()) this.reply(req, ch, refused);
        return;
      }
    }
    const p = this.processors.get(req.code) ?? this.defaultProcessor;
    if (!p) {
      // Sent even for oneway requests (ref §1.6).
      this.reply(req, ch, RemotingCommand.createResponse(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, notSupportedRemark(req.code)));
      return;
    }
    let result: RemotingCommand | null | Promise<RemotingCommand | null>;
    try {
      result = p(req, ch);
    } catch (err) {
      this.onProcessorError(req, ch, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.onProcessorResult(req, ch, res),
        (err: unknown) => this.onProcessorError(req, ch, err),
      );
    } else {
      this.onProcessorResult(req, ch, result);
    }
  }

  private onProcessorResult(req: RemotingCommand, ch: RemotingChannel, res: RemotingCommand | null): void {
    if (res === null || res === undefined || req.isOneway()) return;
    this.reply(req, ch, res);
  }

  private onProcessorError(req: RemotingCommand, ch: RemotingChannel, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (MqError.is(err) && err.code === 'INVALID_ARGUMENT') {
      this.log.debug({ peer: ch.remoteAddress, code: req.code, error: message }, 'bad request');
    } else {
      this.log.warn({ peer: ch.remoteAddress, code: req.code, err }, 'processor failed');
    }
    if (req.isOneway()) return;
    this.reply(req, ch, RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, message));
  }

  /** Stamps the response with the request's opaque and serialize type and writes it. */
  private reply(req: RemotingCommand, ch: RemotingChannel, res: RemotingCommand): void {
    if (ch.closed) return;
    res.opaque = req.opaque;
    res.markResponse();
    res.serializeType = req.serializeType;
    try {
      ch.send(res);
    } catch (err) {
      // An unencodable response (e.g. a header over 16 MiB) becomes a SYSTEM_ERROR instead.
      this.log.error({ peer: ch.remoteAddress, code: req.code, err }, 'cannot encode response');
      const fallback = RemotingCommand.createResponse(ResponseCode.SYSTEM_ERROR, (err as Error).message);
      fallback.opaque = req.opaque;
      fallback.markResponse();
      ch.send(fallback);
    }
  }
}
