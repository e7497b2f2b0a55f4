/**
 * bench/gateway/send-cpu: CPU µs per message of the send path's in-process steps, measured with process.cpuUsage over
 * many repetitions (steadier than rates on a shared machine), each next to the way it was done before:
 *   - the SEND_BATCH_MESSAGE body of 32 prepared 2 KiB messages: encodeBatchBody (per-message head, length and
 *     properties buffers, then Buffer.concat) against encodePreparedBatch (one buffer);
 *   - a 32-message send reply: SendResult instances with Int64 offsets against the handler's plain results, each
 *     through the generated result wrapper (which copies the list, Thrift.copyList) and ReplyProtocol;
 *   - UNIQ_KEY generation (createUniqId).
 * Environment: BENCH_SEND_CPU_ROUNDS (repetitions of each step, default 20000).
 */
import os from 'os';
import { createUniqId, encodeBatchBody } from '../../src/common/message';
import { prepareMessages } from '../../src/client/producer/prepare';
import { encodePreparedBatch } from '../../src/client/producer/producer';
import { T, i64 } from '../../src/gateway';
import { FrameWriter } from '../../src/gateway/frame-writer';
import { ReplyProtocol } from '../../src/gateway/reply-protocol';
import thrift from 'thrift';

const ROUNDS = Number(process.env.BENCH_SEND_CPU_ROUNDS ?? 20000);
const BATCH = 32;

/** CPU µs per message of `f`, which handles `perCall` messages per call. */
function cpuPerMessage(perCall: number, f: () => unknown): number {
  for (let i = 0; i < Math.min(2000, ROUNDS); i++) f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (ROUNDS * perCall);
}

function main(): void {
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`send-path CPU per message, ${ROUNDS} rounds per step; load average ${load} (other work skews the figures)`);
  const rows: Array<[string, number, number]> = [];
  for (const size of [500, 2048]) {
    const prepared = prepareMessages(
      'BenchTopic',
      Array.from({ length: BATCH }, (_, i) => ({ body: Buffer.alloc(size, i), tags: 'TagA', keys: [`k${i}`] })),
      4 * 1024 * 1024,
    );
    rows.push([
      `batch body, ${BATCH} x ${size} B`,
      cpuPerMessage(BATCH, () => encodeBatchBody(prepared.map((m) => ({ flag: m.flag, body: m.body, properties: m.properties })))),
      cpuPerMessage(BATCH, () => encodePreparedBatch(prepared)),
    ]);
  }
  let sink = 0;
  const writer = new FrameWriter((_parts, total) => {
    sink += total;
  });
  const proto = new ReplyProtocol(writer);
  // What the generated processor does with the handler's list (MessageGateway_send_result is not exported): copy it
  // into SendResult instances, then write field 0 as a list of structs.
  const copyList = (thrift.Thrift as unknown as { copyList(l: unknown[], t: unknown[]): Array<{ write(p: thrift.TProtocol): void }> }).copyList;
  const reply = (success: T.SendResult[]): void => {
    const copied = copyList(success, [T.SendResult]);
    proto.writeMessageBegin('send', thrift.Thrift.MessageType.REPLY, 1);
    proto.writeStructBegin('MessageGateway_send_result');
    proto.writeFieldBegin('success', thrift.Thrift.Type.LIST, 0);
    proto.writeListBegin(thrift.Thrift.Type.STRUCT, copied.length);
    for (const r of copied) r.write(proto);
    proto.writeListEnd();
    proto.writeFieldEnd();
    proto.writeFieldStop();
    proto.writeStructEnd();
    proto.writeMessageEnd();
    proto.flush();
  };
  const msgId = '7F00000100002A9F0000000000001000';
  const uniq = createUniqId();
  rows.push([
    `send reply, ${BATCH} results`,
    cpuPerMessage(BATCH, () =>
      reply(
        Array.from(
          { length: BATCH },
          (_, i) => new T.SendResult({ msgId, brokerName: 'broker-a', queueId: i & 7, queueOffset: i64(1000 + i), status: 0, uniqueId: uniq }),
        ),
      ),
    ),
    cpuPerMessage(BATCH, () =>
      reply(
        Array.from(
          { length: BATCH },
          (_, i) =>
            ({ msgId, brokerName: 'broker-a', queueId: i & 7, queueOffset: 1000 + i, status: 0, error: null, uniqueId: uniq }) as unknown as T.SendResult,
        ),
      ),
    ),
  ]);
  const idNow = cpuPerMessage(BATCH, () => {
    for (let i = 0; i < BATCH; i++) createUniqId();
  });
  for (const [name, before, after] of rows) {
    console.log(`${name.padEnd(28)} before ${before.toFixed(2).padStart(6)} µs  now ${after.toFixed(2).padStart(6)} µs  x${(before / after).toFixed(2)}`);
  }
  console.log(`${'UNIQ_KEY (createUniqId)'.padEnd(28)} now ${idNow.toFixed(3)} µs`);
  if (sink < 0) console.log(sink);
}

main();
