/**
 * The `send` call's processing in place of the generated processor's `process_send`, with the same bytes on the
 * wire: the generated code hands the handler's list to the result struct's constructor, which copies it into new
 * SendResult instances (Thrift.copyList), and each of those allocates a `new Int64(-1)` default through the
 * deprecated `new Buffer` (4 % of the gateway's CPU at 1,000 single-message sends per second). Here every result is
 * written as it is, a plain object or a SendResult, with the constructor's defaults for missing fields.
 */
import thrift from 'thrift';
import { T } from './thrift-api';

type Protocol = thrift.TProtocol;

interface Writable {
  write(p: Protocol): void;
}

const sendResultWrite = (T.SendResult.prototype as unknown as Writable).write;

/** One SendResult as the generated struct would write it after copying it (defaults for missing fields). */
/** The fields of a SendResult as handlers return them (an instance, or a plain object of the same fields). */
interface SendResultLike {
  msgId?: string | null;
  brokerName?: string | null;
  queueId?: number | null;
  queueOffset?: unknown;
  status?: number | null;
  error?: T.MessageError | null;
  uniqueId?: string | null;
}

function writeSendResult(out: Protocol, r: SendResultLike | null | undefined): void {
  if (r instanceof T.SendResult) {
    sendResultWrite.call(r, out);
    return;
  }
  if (r === null || r === undefined) {
    sendResultWrite.call(new T.SendResult(), out);
    return;
  }
  const error = r.error === null || r.error === undefined ? null : r.error instanceof T.MessageError ? r.error : new T.MessageError(r.error as never);
  const view = {
    msgId: r.msgId ?? null,
    brokerName: r.brokerName ?? null,
    queueId: r.queueId ?? -1,
    queueOffset: r.queueOffset ?? -1,
    status: r.status ?? 0,
    error,
    uniqueId: r.uniqueId ?? null,
  };
  sendResultWrite.call(view, out);
}

/** Reads MessageGateway_send_args: field 1 is the request; anything else is skipped. */
function readSendArgs(input: Protocol): T.SendRequest | null {
  let request: T.SendRequest | null = null;
  input.readStructBegin();
  for (;;) {
    const f = input.readFieldBegin() as unknown as { ftype: number; fid: number };
    if (f.ftype === thrift.Thrift.Type.STOP) break;
    if (f.fid === 1 && f.ftype === thrift.Thrift.Type.STRUCT) {
      request = new T.SendRequest();
      (request as unknown as { read(p: Protocol): void }).read(input);
    } else input.skip(f.ftype);
    input.readFieldEnd();
  }
  input.readStructEnd();
  return request;
}

/** Writes a successful send reply (MessageGateway_send_result with field 0). */
function writeSuccess(out: Protocol, seqid: number, results: Array<SendResultLike | null | undefined> | null | undefined): void {
  out.writeMessageBegin('send', thrift.Thrift.MessageType.REPLY, seqid);
  out.writeStructBegin('MessageGateway_send_result');
  if (results !== null && results !== undefined) {
    out.writeFieldBegin('success', thrift.Thrift.Type.LIST, 0);
    out.writeListBegin(thrift.Thrift.Type.STRUCT, results.length);
    for (let i = 0; i < results.length; i++) writeSendResult(out, results[i]);
    out.writeListEnd();
    out.writeFieldEnd();
  }
  out.writeFieldStop();
  out.writeStructEnd();
  out.writeMessageEnd();
  out.flush();
}

/** Writes a failed send reply: a GatewayError as field 1, anything else as a TApplicationException (as generated). */
function writeFailure(out: Protocol, seqid: number, err: unknown): void {
  if (err instanceof T.GatewayError) {
    out.writeMessageBegin('send', thrift.Thrift.MessageType.REPLY, seqid);
    out.writeStructBegin('MessageGateway_send_result');
    out.writeFieldBegin('error', thrift.Thrift.Type.STRUCT, 1);
    (err as unknown as Writable).write(out);
    out.writeFieldEnd();
    out.writeFieldStop();
    out.writeStructEnd();
  } else {
    const x = new thrift.Thrift.TApplicationException(thrift.Thrift.TApplicationExceptionType.UNKNOWN, (err as Error)?.message);
    out.writeMessageBegin('send', thrift.Thrift.MessageType.EXCEPTION, seqid);
    (x as unknown as Writable).write(out);
  }
  out.writeMessageEnd();
  out.flush();
}

/**
 * Replaces `process_send` of a generated MessageGateway processor; `send` is called synchronously with the decoded
 * request (as the generated code does), its answer written when it settles.
 */
export function installSendProcess(processor: object, send: (req: T.SendRequest) => Promise<T.SendResult[]>): void {
  (processor as { process_send: (seqid: number, input: Protocol, output: Protocol) => void }).process_send = (seqid, input, output) => {
    const request = readSendArgs(input);
    input.readMessageEnd();
    Promise.resolve(send(request as T.SendRequest))
      .then((results) => writeSuccess(output, seqid, results))
      .catch((err: unknown) => writeFailure(output, seqid, err));
  };
}
