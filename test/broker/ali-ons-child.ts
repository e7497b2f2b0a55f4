/**
 * A child process that runs the third-party `ali-ons` client (a RocketMQ 4.x client written by others) as a
 * producer or a push consumer and reports what it did as JSON lines on stdout. ali-ons processes never exit on
 * their own (a hidden inner producer keeps timers running), so the parent kills this process by pid; the producer
 * mode exits by itself once every message is sent.
 *
 *   node ali-ons-child.js produce '{"nameSrv":"127.0.0.1:9876","topic":"T","messages":[{"tags":"TagA","keys":["k1"],"size":500}]}'
 *   node ali-ons-child.js consume '{"nameSrv":"...","topic":"T","group":"G","expression":"TagA || TagB","failKeys":["k1"]}'
 */
import crypto from 'crypto';

interface OnsMessage {
  topic: string;
  tags?: string;
  keys?: string | string[];
  body: Buffer;
  msgId: string;
  reconsumeTimes: number;
  originMessageId?: string;
  queueId: number;
  queueOffset: number;
}
interface OnsProducer {
  ready(): Promise<void>;
  send(msg: OnsMessage): Promise<{ msgId: string; sendStatus: string; messageQueue: { queueId: number } }>;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface OnsConsumer {
  ready(): Promise<void>;
  subscribe(topic: string, expression: string, handler: (msg: OnsMessage) => Promise<void>): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface AliOns {
  Producer: new (opts: Record<string, unknown>) => OnsProducer;
  Consumer: new (opts: Record<string, unknown>) => OnsConsumer;
  Message: new (topic: string, tags: string, body: Buffer) => OnsMessage;
}

// ali-ons ships no types; the shapes above are what this script uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ons = require('ali-ons') as AliOns;

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function sha(buf: Buffer): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

async function produce(args: { nameSrv: string; topic: string; messages: Array<{ tags: string; keys: string[]; size: number }> }): Promise<void> {
  const producer = new ons.Producer({
    nameSrv: [args.nameSrv],
    httpclient: {},
    clientIP: '127.0.0.1',
    producerGroup: `PG_${process.pid}`,
    logger: quiet,
  });
  producer.on('error', (err) => out({ error: err.message }));
  await producer.ready();
  for (let i = 0; i < args.messages.length; i++) {
    const m = args.messages[i];
    const body = crypto.randomBytes(m.size);
    const msg = new ons.Message(args.topic, m.tags, body);
    msg.keys = m.keys;
    const res = await producer.send(msg);
    out({ sent: { i, msgId: res.msgId, status: res.sendStatus, tags: m.tags, keys: m.keys.join(' '), size: m.size, sha: sha(body) } });
  }
  out({ done: true });
  process.exit(0);
}

async function consume(args: { nameSrv: string; topic: string; group: string; expression: string; failKeys?: string[] }): Promise<void> {
  const fail = new Set(args.failKeys ?? []);
  const consumer = new ons.Consumer({
    nameSrv: [args.nameSrv],
    httpclient: {},
    clientIP: '127.0.0.1',
    consumerGroup: args.group,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    logger: quiet,
  });
  consumer.on('error', (err) => out({ error: err.message }));
  consumer.subscribe(args.topic, args.expression, async (msg) => {
    const keys = Array.isArray(msg.keys) ? msg.keys.join(' ') : (msg.keys ?? '');
    const info = {
      msgId: msg.msgId,
      originMessageId: msg.originMessageId,
      topic: msg.topic,
      tags: msg.tags,
      keys,
      size: msg.body.length,
      sha: sha(msg.body),
      reconsumeTimes: msg.reconsumeTimes,
    };
    if (msg.reconsumeTimes === 0 && keys.split(' ').some((k) => fail.has(k))) {
      out({ failed: info });
      throw new Error('failing on purpose to test the retry topic');
    }
    out({ received: info });
  });
  await consumer.ready();
  out({ ready: true });
}

const [mode, json] = process.argv.slice(2);
const run = mode === 'produce' ? produce : mode === 'consume' ? consume : undefined;
if (!run || json === undefined) {
  console.error('usage: ali-ons-child.js produce|consume <json>');
  process.exit(2);
}
run(JSON.parse(json)).catch((err: Error) => {
  out({ fatal: err.message });
  process.exit(1);
});
