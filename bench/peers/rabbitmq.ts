/**
 * RabbitMQ as a peer: a private node (its own node name, ports, Mnesia and log dirs, no plugins, loopback only),
 * a durable classic queue, persistent messages and publisher confirms; consumers ack each message manually, with a
 * prefetch (unacknowledged window) equal to the batch the other systems fetch per call.
 *
 * The node is started with /usr/lib/rabbitmq/bin/rabbitmq-server directly (the /usr/sbin wrapper switches to the
 * rabbitmq user), with HOME in the temp dir for its Erlang cookie. Erlang starts an epmd daemon; we give it a port of
 * our own (ERL_EPMD_PORT) so that it is ours alone, find it by that port and stop it by pid afterwards.
 */
import fs from 'fs';
import path from 'path';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { tempDir } from '../../test/helpers/proc';
import { freePort, waitForPort } from './measure';
import { firstLine, installed, startServer } from './server-process';
import type { PeerDest, PeerSystem } from './types';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** Pids of epmd processes whose environment names our ERL_EPMD_PORT (the daemon our node started). */
function epmdPids(port: number): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (!cmd.includes('epmd')) continue;
      const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      if (env.includes(`ERL_EPMD_PORT=${port}`)) pids.push(Number(d));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

function version(): string {
  // The Debian package version; the node itself is not asked (rabbitmqctl needs the cookie and takes seconds).
  const line = firstLine('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server']);
  return line ? line.split('-')[0] : '?';
}

/** Starts a RabbitMQ node; throws with a "skipped" reason when the package is missing or the node does not come up. */
export async function startRabbitMq(): Promise<PeerSystem> {
  if (!fs.existsSync(SERVER) || !installed('erl')) throw new Error('rabbitmq-server is not installed (scripts/bench-peers-setup.sh installs it)');
  const tmp = tempDir('mq-bench-rabbit-');
  // Also removed when the run is interrupted (the normal path removes it after stopping the server).
  process.once('exit', tmp.cleanup);
  // AMQP, Erlang distribution and epmd ports, all free now; RabbitMQ cannot bind port 0 and report it.
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  for (const d of ['mnesia', 'log']) fs.mkdirSync(path.join(tmp.dir, d));
  // No plugins (the management plugin would open an HTTP port and cost start-up time); an empty env file so that
  // /etc/rabbitmq/rabbitmq-env.conf does not apply.
  fs.writeFileSync(path.join(tmp.dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(tmp.dir, 'rabbitmq-env.conf'), '');
  // The default user guest may log in over loopback (the default loopback_users rule): no user setup is needed.
  fs.writeFileSync(path.join(tmp.dir, 'rabbitmq.conf'), [`listeners.tcp.1 = 127.0.0.1:${amqpPort}`, 'log.console = false', 'log.file.level = warning', ''].join('\n'));
  const proc = startServer(
    SERVER,
    [],
    {
      HOME: tmp.dir,
      RABBITMQ_NODENAME: `bench${process.pid}@localhost`,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: path.join(tmp.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(tmp.dir, 'log'),
      RABBITMQ_CONFIG_FILE: path.join(tmp.dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(tmp.dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: path.join(tmp.dir, 'rabbitmq-env.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(tmp.dir, 'enabled_plugins'),
      // Distribution and epmd on loopback only, epmd on a port of its own.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    },
    tmp.dir,
  );
  /** Stops the epmd daemon our node started (it detaches from the node's process group). */
  const stopEpmd = (): void => {
    for (const pid of epmdPids(epmdPort)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Gone already.
      }
    }
  };
  process.once('exit', stopEpmd);
  const stopAll = async (): Promise<void> => {
    await proc.stop();
    stopEpmd();
    process.removeListener('exit', stopEpmd);
    tmp.cleanup();
  };
  let conn: ChannelModel;
  try {
    await waitForPort(amqpPort, 60000, 'rabbitmq-server');
    // amqplib leaves Nagle's algorithm on unless told; with it a lone publish waits ~40 ms for the delayed ACK.
    conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort}`, { noDelay: true });
  } catch (err) {
    const out = proc.output().trim().split('\n').slice(-5).join(' | ');
    await stopAll();
    throw new Error(`RabbitMQ did not start: ${(err as Error).message}; output: ${out}`);
  }
  conn.on('error', (e: Error) => console.error('rabbitmq connection error', e.message));
  // One confirm channel for publishing (confirms are asynchronous, so many publishes can be in flight on it).
  const pub: ConfirmChannel = await conn.createConfirmChannel();
  const admin: Channel = await conn.createChannel();

  const publishOne = (q: string, body: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pub.sendToQueue(q, body, { persistent: true }, (err) => (err ? reject(new Error(`rabbitmq nack: ${String(err)}`)) : resolve()));
    });

  /** A consumer on its own channel; calls `on` for each message after acking it; resolves to a cancel function. */
  const consume = async (q: string, prefetch: number, on: (m: ConsumeMessage) => void): Promise<() => Promise<void>> => {
    const ch = await conn.createChannel();
    await ch.prefetch(prefetch);
    const { consumerTag } = await ch.consume(
      q,
      (m) => {
        if (!m) return;
        ch.ack(m);
        on(m);
      },
      { noAck: false },
    );
    return async () => {
      await ch.cancel(consumerTag);
      await ch.close();
    };
  };

  return {
    name: `RabbitMQ ${version()}`,
    key: 'rabbitmq',
    durability: 'durable q, persistent, confirms (fsync)',
    batches: false,
    consumeModes: ['ack'],
    // The script, the Erlang VM under it (and its helpers), and the epmd daemon it started outside its tree.
    pids: () => [...(proc.child.pid ? [{ role: 'server', pid: proc.child.pid }] : []), ...epmdPids(epmdPort).map((pid) => ({ role: 'server', pid, alone: true }))],
    async createDest(label: string): Promise<PeerDest> {
      const q = `bench.${label}.${process.pid}`;
      // A durable classic queue (the 3.10 default type); quorum queues would replicate, which the others do not here.
      await admin.assertQueue(q, { durable: true });
      return {
        publish: async (_lane, bodies) => {
          // AMQP has no batch publish: a batch is its publishes in flight together on the confirm channel.
          await Promise.all(bodies.map((b) => publishOne(q, b)));
        },
        drain: async (_mode, total, consumers, batch, deadline) => {
          let n = 0;
          let finish: () => void = () => undefined;
          const done = new Promise<void>((resolve) => (finish = resolve));
          const cancels = await Promise.all(
            Array.from({ length: consumers }, () =>
              // The prefetch is the consumer's window: that many unacknowledged messages at a time.
              consume(q, batch, () => {
                if (++n >= total) finish();
              }),
            ),
          );
          const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
          await done;
          clearTimeout(timer);
          for (const c of cancels) await c();
          return n;
        },
        subscribe: async (onBody) => consume(q, 256, (m) => onBody(m.content)),
        remove: async () => {
          await admin.deleteQueue(q);
        },
      };
    },
    async stop(): Promise<void> {
      await conn.close().catch(() => undefined);
      await stopAll();
    },
  };
}
