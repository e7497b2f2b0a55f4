/**
 * A child process running the third-party `ali-ons` producer with an ACL account (accessKeyId/accessKeySecret):
 * sends `count` messages and reports each outcome as a JSON line, then exits (the parent kills it by pid if not).
 *
 *   node acl-ons-child.js '{"nameSrv":"127.0.0.1:9876","topic":"T","accessKeyId":"ak","accessKeySecret":"sk","count":2}'
 */
interface OnsMessage {
  keys?: string | string[];
}
interface OnsProducer {
  ready(): Promise<void>;
  send(msg: OnsMessage): Promise<{ msgId: string; sendStatus: string }>;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface AliOns {
  Producer: new (opts: Record<string, unknown>) => OnsProducer;
  Message: new (topic: string, tags: string, body: Buffer) => OnsMessage;
}
// ali-ons ships no types; the shapes above are what this script uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ons = require('ali-ons') as AliOns;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const out = (obj: unknown): void => void process.stdout.write(JSON.stringify(obj) + '\n');

async function main(args: { nameSrv: string; topic: string; accessKeyId?: string; accessKeySecret?: string; count: number }): Promise<void> {
  const producer = new ons.Producer({
    nameSrv: [args.nameSrv],
    httpclient: {},
    clientIP: '127.0.0.1',
    producerGroup: `PG_ACL_${process.pid}`,
    accessKeyId: args.accessKeyId,
    accessKeySecret: args.accessKeySecret,
    retryTimesWhenSendFailed: 0,
    logger: quiet,
  });
  producer.on('error', (err) => out({ error: err.message }));
  await producer.ready();
  for (let i = 0; i < args.count; i++) {
    const msg = new ons.Message(args.topic, 'TagA', Buffer.from(`acl-${i}`));
    msg.keys = [`k${i}`];
    try {
      const res = await producer.send(msg);
      out({ sent: { i, msgId: res.msgId, status: res.sendStatus } });
    } catch (err) {
      out({ sendError: (err as Error).message });
    }
  }
  out({ done: true });
  process.exit(0);
}

main(JSON.parse(process.argv[2] ?? '{}')).catch((err: Error) => {
  out({ fatal: err.message });
  process.exit(1);
});
