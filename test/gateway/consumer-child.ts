/**
 * A consumer process for the at-least-once test: `node consumer-child.js <port> <topic> <group> <max> <invisibleMs>`
 * gets one batch in at-least-once mode, prints one line per message (`GOT <body>`), then `READY`, and waits to be
 * killed without acking anything.
 */
import { connect } from './thrift-client';

async function main(): Promise<void> {
  const [port, topic, group, max, invisibleMs] = process.argv.slice(2);
  const c = connect(Number(port));
  const r = await c.get({ topic, consumerGroup: group, maxMessages: Number(max), waitMs: 5000, invisibleMs: Number(invisibleMs) });
  for (const m of r.messages) process.stdout.write(`GOT ${m.body.toString()}\n`);
  process.stdout.write('READY\n');
  // Hold the connection open until killed.
  setInterval(() => undefined, 60000);
}

main().catch((err: unknown) => {
  process.stdout.write(`FAILED ${(err as Error).message}\n`);
  process.exit(1);
});
