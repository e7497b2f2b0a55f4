/**
 * The gateway's own `send` processing (send-reply.ts) writes exactly the bytes of the generated processor for every
 * kind of answer (plain results as the send handler builds them, SendResult instances, missing items, a
 * GatewayError, any other error), without constructing a SendResult per result.
 */
import { expect } from 'chai';
import thrift from 'thrift';
import { FrameWriter } from '../../src/gateway/frame-writer';
import { ReplyProtocol } from '../../src/gateway/reply-protocol';
import { installSendProcess } from '../../src/gateway/send-reply';
import { MessageGatewayService, T, i64 } from '../../src/gateway';
import { encodeCall } from './raw-thrift';

type Answer = () => Promise<T.SendResult[]>;

async function reply(answer: Answer, ours: boolean): Promise<Buffer> {
  const frames: Buffer[] = [];
  const handler = { send: (_req: T.SendRequest) => answer(), get: () => Promise.reject(new Error('unused')) };
  const processor = new MessageGatewayService.Processor(handler) as unknown as { process(i: unknown, o: unknown): void };
  if (ours) installSendProcess(processor, handler.send);
  const call = encodeCall('send', new T.SendRequest({ messages: [new T.Message({ topic: 't', body: Buffer.from('x') })] }), 42);
  const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(call.subarray(4)));
  const output = new ReplyProtocol(new FrameWriter((parts) => frames.push(Buffer.concat(parts))));
  processor.process(input, output);
  for (let i = 0; i < 20 && frames.length === 0; i++) await new Promise((r) => setImmediate(r));
  expect(frames).to.have.length(1);
  return frames[0];
}

const plain = (o: Record<string, unknown>): T.SendResult => o as unknown as T.SendResult;

const cases: Array<[string, Answer]> = [
  [
    'plain results (stored and failed)',
    async () => [
      plain({ msgId: 'C0A8000100002A9F0000000000000001', brokerName: 'broker-a', queueId: 3, queueOffset: 2 ** 40 + 7, status: T.SendStatus.OK, error: null, uniqueId: 'U1' }),
      plain({ msgId: null, brokerName: null, queueId: -1, queueOffset: -1, status: 0, error: new T.MessageError({ code: T.ErrorCode.BUSY, message: 'busy', retryable: true, retryAfterMs: 500 }), uniqueId: null }),
    ],
  ],
  ['SendResult instances with Int64 offsets', async () => [new T.SendResult({ msgId: 'm', brokerName: 'b', queueId: 1, queueOffset: i64(12345), status: T.SendStatus.FLUSH_DISK_TIMEOUT })]],
  ['plain results with fields left out, and a missing item', async () => [plain({ msgId: 'm' }), undefined as unknown as T.SendResult, plain({ error: { code: T.ErrorCode.INTERNAL, message: 'x' } })]],
  ['an empty list', async () => []],
  ['a GatewayError', () => Promise.reject(new T.GatewayError({ code: T.ErrorCode.UNAUTHENTICATED, message: 'no token', retryable: false }))],
  ['any other error', () => Promise.reject(new Error('boom'))],
];

describe('gateway/send-reply', () => {
  for (const [name, answer] of cases) {
    it(`writes the generated processor's bytes: ${name}`, async () => {
      expect((await reply(answer, true)).toString('hex')).to.equal((await reply(answer, false)).toString('hex'));
    });
  }

  it('does not construct a SendResult per plain result', async () => {
    const Original = T.SendResult;
    let constructed = 0;
    const Counting = class extends Original {
      constructor(args?: ConstructorParameters<typeof Original>[0]) {
        super(args);
        constructed++;
      }
    };
    const answer: Answer = async () => Array.from({ length: 100 }, (_, i) => plain({ msgId: `m${i}`, brokerName: 'b', queueId: 0, queueOffset: i, status: 0, error: null, uniqueId: null }));
    // The generated module itself (the processor looks its SendResult up there at every call).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gen = require('../../gen/gateway_types') as { SendResult: unknown };
    gen.SendResult = Counting;
    try {
      await reply(answer, true);
      expect(constructed).to.equal(0);
      await reply(answer, false);
      // The generated path copies each one (the count shows the check can fail).
      expect(constructed).to.equal(100);
    } finally {
      gen.SendResult = Original;
    }
  });
});
