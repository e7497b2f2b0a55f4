/**
 * `mq admin <command>`: RocketMQ's mqadmin commands with their names, flags and output columns, plus `--json` on
 * every command and topicCount. Exit codes: 0 done, 1 the operation failed, 2 bad arguments. A failed command prints
 * nothing on stdout.
 */
import { MqError } from '../../common';
import { AdminClient } from '../../client/admin';
import { registerCommand } from '../commands';
import { readSecretFile } from '../config';
import type { RequestSigner } from '../../remoting';
import { addWritePerm, brokerStatus, clusterList, getBrokerConfig, statsAll, updateBrokerConfig, wipeWritePerm } from './cluster';
import type { AdminCommand, Ctx } from './framework';
import { helpText, parseFlags } from './framework';
import { consumerConnection, consumerProgress, deleteSubGroup, resetOffsetByTime, updateSubGroup } from './group';
import { printMsg, queryMsgById, queryMsgByKey, queryMsgByOffset, queryMsgByUniqueKey } from './message';
import { deleteTopic, topicCount, topicList, topicRoute, topicStatus, updateTopic } from './topic';

/** Every command, in the order `mq admin --help` lists them. */
export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  topicList,
  topicRoute,
  topicStatus,
  updateTopic,
  deleteTopic,
  topicCount,
  clusterList,
  brokerStatus,
  getBrokerConfig,
  updateBrokerConfig,
  wipeWritePerm,
  addWritePerm,
  updateSubGroup,
  deleteSubGroup,
  consumerProgress,
  consumerConnection,
  resetOffsetByTime,
  queryMsgById,
  queryMsgByKey,
  queryMsgByUniqueKey,
  queryMsgByOffset,
  printMsg,
  statsAll,
];

function usage(): string {
  const w = Math.max(...ADMIN_COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: mq admin <command> [options]      (name servers: -n host:port[;host:port] or $NAMESRV_ADDR)',
    '',
    'commands:',
    ...ADMIN_COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary.split('\n')[0]}`),
    '',
    'Every command takes --json. Run `mq admin <command> --help` for its options.',
  ].join('\n');
}

/** Output sinks (tests pass their own). */
export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  now(): number;
}

const PROCESS_IO: AdminIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  now: () => Date.now(),
};

/**
 * Request signing from the environment (like mqadmin's tools.yml): MQ_CLUSTER_SECRET or MQ_CLUSTER_SECRET_FILE for a
 * cluster with clusterSecret, MQ_ACL_ACCESS_KEY + MQ_ACL_SECRET_KEY for brokers with aclEnable=true.
 */
function adminSigner(env: NodeJS.ProcessEnv): RequestSigner | undefined {
  const file = env.MQ_CLUSTER_SECRET_FILE;
  const clusterSecret = file ? readSecretFile(file, 'MQ_CLUSTER_SECRET_FILE', 'mq admin') : env.MQ_CLUSTER_SECRET || undefined;
  const accessKey = env.MQ_ACL_ACCESS_KEY || undefined;
  const secretKey = env.MQ_ACL_SECRET_KEY || undefined;
  if (!clusterSecret && !accessKey) return undefined;
  return { clusterSecret, accessKey, secretKey };
}

/** Runs `mq admin <command> ...`; resolves with the exit code. */
export async function runAdmin(argv: string[], io: AdminIo = PROCESS_IO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    // No command is a usage error: the text goes to stderr, stdout stays empty.
    io.err(usage() + '\n');
    return 2;
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(usage() + '\n');
    return 0;
  }
  const cmd = ADMIN_COMMANDS.find((c) => c.name === sub);
  if (!cmd) {
    io.err(`mq admin: unknown command ${JSON.stringify(sub)}\n\n${usage()}\n`);
    return 2;
  }
  let o: Record<string, string>;
  try {
    o = parseFlags(cmd, rest);
  } catch (err) {
    io.err(`mq admin ${sub}: ${(err as Error).message}\n`);
    return 2;
  }
  if (o.help === 'true') {
    io.out(helpText(cmd) + '\n');
    return 0;
  }
  let admin: AdminClient | undefined;
  const ctx: Ctx = {
    admin() {
      if (!admin) {
        const ns = o.namesrvAddr ?? io.env.NAMESRV_ADDR ?? '';
        admin = new AdminClient({ namesrvAddr: ns, timeoutMs: 10_000, signer: adminSigner(io.env) });
      }
      return admin;
    },
    progress: (msg) => io.err(msg + '\n'),
    now: io.now,
  };
  try {
    const r = await cmd.run(ctx, o);
    io.out(o.json === 'true' ? JSON.stringify(r.json, null, 2) + '\n' : r.lines.map((l) => l + '\n').join(''));
    return 0;
  } catch (err) {
    io.err(`mq admin ${sub}: ${(err as Error).message}\n`);
    return MqError.is(err, 'INVALID_ARGUMENT') ? 2 : 1;
  } finally {
    await admin?.close();
  }
}

registerCommand({ name: 'admin', summary: 'operator commands in mqadmin style (topics, groups, messages, brokers, topicCount)', run: (argv) => runAdmin(argv) });
