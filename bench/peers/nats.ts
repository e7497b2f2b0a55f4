/**
 * NATS JetStream as a peer: `nats-server -js` on 127.0.0.1 with a temp store dir, max_payload raised to 8 MB through
 * a config file (the default of 1 MB refuses 5 MiB bodies), one file-storage stream per destination (one replica),
 * publishes awaited for their PubAck, and durable pull consumers with explicit acks.
 */
import fs from 'fs';
import path from 'path';
import { AckPolicy, StorageType, connect } from 'nats';
import type { ConsumerMessages, NatsConnection } from 'nats';
import { tempDir } from '../../test/helpers/proc';
import { freePort, waitForPort } from './measure';
import { firstLine, installed, startServer } from './server-process';
import type { PeerDest, PeerSystem } from './types';

/** Starts nats-server with JetStream; throws with a "skipped" reason when it is missing or does not come up. */
export async function startNats(): Promise<PeerSystem> {
  if (!installed('nats-server')) throw new Error('nats-server is not installed (scripts/bench-peers-setup.sh installs it)');
  const tmp = tempDir('mq-bench-nats-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', tmp.cleanup);
  const port = await freePort();
  const conf = path.join(tmp.dir, 'nats.conf');
  // 8 MB is the largest max_payload nats-server accepts without a warning; the store has no size limits of its own here.
  // max_pending (bytes queued to one client connection, 64 MB by default) raised to 256 MB: 4 consumers pulling 16 MiB
  // each share one connection, and at the default the server cuts it off as a slow consumer and every message
  // pending on it waits for ack_wait (30 s) to be redelivered.
  fs.writeFileSync(conf, 'max_payload: 8MB\nmax_pending: 256MB\n');
  const proc = startServer('nats-server', ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(tmp.dir, 'js'), '-m', '0']);
  const stopAll = async (): Promise<void> => {
    await proc.stop();
    tmp.cleanup();
  };
  let nc: NatsConnection;
  try {
    await waitForPort(port, 20000, 'nats-server');
    nc = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
  } catch (err) {
    const out = proc.output().trim().split('\n').slice(-5).join(' | ');
    await stopAll();
    throw new Error(`NATS did not start: ${(err as Error).message}; output: ${out}`);
  }
  // The manager creates and deletes streams and consumers; the JetStream context publishes and reads.
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const version = firstLine('nats-server', ['--version']).replace(/^nats-server:\s*v?/, '');

  return {
    name: `NATS JetStream ${version}`,
    key: 'nats',
    durability: 'file store, PubAck, fsync 2 min',
    batches: false,
    consumeModes: ['ack'],
    pids: () => (proc.child.pid ? [{ role: 'server', pid: proc.child.pid }] : []),
    async createDest(label: string): Promise<PeerDest> {
      // Stream names may not contain '.', '*', '>' or spaces; one subject per stream keeps routing trivial.
      const stream = `bench_${label}_${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const subject = `bench.${stream}`;
      await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 1 });
      const durable = 'bench';
      // Explicit acks as in the other systems; max_ack_pending above the default (1,000) so that the consumers' pulls are
      // never throttled by unacked messages in flight.
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, max_ack_pending: 20000 });
      const consumer = await js.consumers.get(stream, durable);
      /** A pull consumer loop that acks each message; `on` sees the body. */
      const consume = (on: (body: Uint8Array) => void, batch = 64): Promise<ConsumerMessages> =>
        consumer.consume({
          // Each pull asks for up to `batch` messages (the client pulls again when half of them were handled).
          max_messages: batch,
          callback: (m) => {
            m.ack();
            on(m.data);
          },
        });
      return {
        publish: async (_lane, bodies) => {
          // JetStream has no batch publish in this client: a batch is its publishes in flight together, each awaited
          // for its PubAck (one connection carries them all).
          await Promise.all(bodies.map((b) => js.publish(subject, b)));
        },
        drain: async (_mode, total, consumers, batch, deadline) => {
          let n = 0;
          let finish: () => void = () => undefined;
          const done = new Promise<void>((resolve) => (finish = resolve));
          const subs = await Promise.all(
            Array.from({ length: consumers }, () =>
              consume(() => {
                if (++n >= total) finish();
              }, batch),
            ),
          );
          const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
          await done;
          clearTimeout(timer);
          for (const s of subs) s.stop();
          // Acks are fire-and-forget publishes; make sure the server has them before the clock stops.
          await nc.flush();
          return n;
        },
        subscribe: async (onBody) => {
          // A view on the message's bytes, not a copy (the other systems hand over Buffers without copying either).
          const sub = await consume((d) => onBody(Buffer.from(d.buffer, d.byteOffset, d.byteLength)));
          return async () => {
            sub.stop();
          };
        },
        remove: async () => {
          await jsm.streams.delete(stream);
        },
      };
    },
    async stop(): Promise<void> {
      await nc.close().catch(() => undefined);
      await stopAll();
    },
  };
}
