/**
 * `mq admin <subcommand>`: an operator CLI in the spirit of RocketMQ's mqadmin, over the remoting protocol.
 *   updateTopic -n <namesrv> (-c <cluster> | -b <brokerAddr>) -t <topic> [-r 8] [-w 8] [-p 6] [-o false]
 *   topicRoute  -n <namesrv> -t <topic>
 *   clusterList -n <namesrv>
 * `-n` takes `host:port[;host:port]`; the first name server that answers is used.
 */
import { MqError, parseArgs } from '../common';
import { parseFastJson } from '../common/fastjson';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../remoting';
import { encodeCreateTopicHeader } from '../remoting/header/create-topic';
import { registerCommand } from './commands';

const SUMMARY = 'operator commands: updateTopic, topicRoute, clusterList (mqadmin style)';

/** mqadmin's one-letter flags. */
const SHORT = { n: 'namesrvAddr', c: 'clusterName', b: 'brokerAddr', t: 'topic', r: 'readQueueNums', w: 'writeQueueNums', p: 'perm', o: 'order', h: 'help' };

/** `--help` text of each subcommand. */
const HELP: Record<string, string> = {
  updateTopic: [
    'usage: mq admin updateTopic -n <namesrv> (-c <cluster> | -b <brokerAddr>) -t <topic> [-r 8] [-w 8] [-p 6] [-o false]',
    '',
    'Creates or updates a topic on every master of a cluster (-c) or on one broker (-b).',
    '  -n, --namesrvAddr     name servers, host:port[;host:port]',
    '  -c, --clusterName     cluster whose masters get the topic',
    '  -b, --brokerAddr      one broker address host:port',
    '  -t, --topic           topic name (^[%|a-zA-Z0-9_-]+$, at most 127 characters)',
    '  -r, --readQueueNums   read queues (default 8)',
    '  -w, --writeQueueNums  write queues (default 8)',
    '  -p, --perm            permission: 2 write, 4 read, 6 both (default 6)',
    '  -o, --order           ordered topic (default false)',
  ].join('\n'),
  topicRoute: ['usage: mq admin topicRoute -n <namesrv> -t <topic>', '', 'Prints the topic route JSON the name server returns.'].join('\n'),
  clusterList: ['usage: mq admin clusterList -n <namesrv>', '', 'Lists clusters, broker sets and their addresses.'].join('\n'),
};

/** The top-level `mq admin` usage text. */
function usage(): string {
  return ['usage: mq admin <command> [options]', '', 'commands:', ...Object.keys(HELP).map((c) => `  ${c}`), '', 'Run `mq admin <command> --help` for its options.'].join('\n');
}

/** A required option's value; throws INVALID_ARGUMENT (exit 2) naming the flag when it is missing. */
function need(opts: Record<string, string>, key: string, flag: string): string {
  const v = opts[key];
  if (v === undefined || v === '' || v === 'true') throw new MqError('INVALID_ARGUMENT', `missing ${flag} <${key}>`);
  return v;
}

/** Sends `req` to the first name server that answers. */
async function toNamesrv(client: RemotingClient, namesrv: string, build: () => RemotingCommand): Promise<RemotingCommand> {
  let last: unknown;
  for (const addr of namesrv.split(';').map((s) => s.trim()).filter(Boolean)) {
    try {
      return await client.invokeSync(addr, build(), 5000);
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new MqError('UNAVAILABLE', `no name server answered (${namesrv})`);
}

/** The parts of the GET_BROKER_CLUSTER_INFO body (ref §3.4) the commands read. */
interface ClusterInfo {
  brokerAddrTable?: Record<string, { brokerName?: string; cluster?: string; brokerAddrs?: Record<string, string> }>;
  clusterAddrTable?: Record<string, string[]>;
}

/** Fetches the cluster table; bare integer keys (fastjson) are accepted. */
async function clusterInfo(client: RemotingClient, namesrv: string): Promise<ClusterInfo> {
  const res = await toNamesrv(client, namesrv, () => RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
  if (res.code !== ResponseCode.SUCCESS) throw new MqError('UNAVAILABLE', `cluster info failed: code ${res.code} ${res.remark ?? ''}`);
  return (res.body ? parseFastJson(res.body.toString('utf8')) : {}) as ClusterInfo;
}

/** updateTopic: UPDATE_AND_CREATE_TOPIC to every master of the cluster (brokerAddrs[0]) or to one broker. */
async function updateTopic(client: RemotingClient, o: Record<string, string>): Promise<number> {
  const namesrv = o.namesrvAddr;
  const topic = need(o, 'topic', '-t');
  const header = encodeCreateTopicHeader({
    topic,
    defaultTopic: 'TBW102',
    readQueueNums: Number(o.readQueueNums ?? 8),
    writeQueueNums: Number(o.writeQueueNums ?? 8),
    perm: Number(o.perm ?? 6),
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: o.order === 'true',
  });
  let targets: string[];
  if (o.brokerAddr !== undefined) {
    targets = [need(o, 'brokerAddr', '-b')];
  } else {
    const cluster = need(o, 'clusterName', '-c (or -b)');
    const info = await clusterInfo(client, need(o, 'namesrvAddr', '-n'));
    const names = info.clusterAddrTable?.[cluster];
    if (!names || names.length === 0) throw new MqError('NOT_FOUND', `cluster ${cluster} has no broker at name server ${namesrv}`);
    targets = names.map((n) => info.brokerAddrTable?.[n]?.brokerAddrs?.['0']).filter((a): a is string => typeof a === 'string');
    if (targets.length === 0) throw new MqError('NOT_FOUND', `cluster ${cluster} has no live master`);
  }
  let failures = 0;
  for (const addr of targets) {
    const res = await client.invokeSync(addr, RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 10000);
    if (res.code === ResponseCode.SUCCESS) {
      console.log(`create topic to ${addr} success.`);
    } else {
      failures++;
      console.error(`create topic to ${addr} failed: code ${res.code} ${res.remark ?? ''}`);
    }
  }
  console.log(JSON.stringify({ topicName: topic, ...header }));
  return failures === 0 ? 0 : 1;
}

/** topicRoute: GET_ROUTEINFO_BY_TOPIC, printed as pretty JSON. */
async function topicRoute(client: RemotingClient, o: Record<string, string>): Promise<number> {
  const topic = need(o, 'topic', '-t');
  const res = await toNamesrv(client, need(o, 'namesrvAddr', '-n'), () =>
    RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }),
  );
  if (res.code !== ResponseCode.SUCCESS) {
    console.error(`topicRoute: code ${res.code} ${res.remark ?? ''}`);
    return 1;
  }
  console.log(JSON.stringify(parseFastJson(res.body ? res.body.toString('utf8') : '{}'), null, 2));
  return 0;
}

/** clusterList: one line per broker address, mqadmin's column order. */
async function clusterList(client: RemotingClient, o: Record<string, string>): Promise<number> {
  const info = await clusterInfo(client, need(o, 'namesrvAddr', '-n'));
  console.log(`${'#Cluster Name'.padEnd(22)} ${'#Broker Name'.padEnd(22)} ${'#BID'.padEnd(5)} #Addr`);
  for (const [cluster, names] of Object.entries(info.clusterAddrTable ?? {})) {
    for (const name of [...names].sort()) {
      const addrs = info.brokerAddrTable?.[name]?.brokerAddrs ?? {};
      for (const id of Object.keys(addrs).sort((a, b) => Number(a) - Number(b))) {
        console.log(`${cluster.padEnd(22)} ${name.padEnd(22)} ${id.padEnd(5)} ${addrs[id]}`);
      }
    }
  }
  return 0;
}

/** Subcommand name → implementation. */
const SUBCOMMANDS: Record<string, (c: RemotingClient, o: Record<string, string>) => Promise<number>> = {
  updateTopic,
  topicRoute,
  clusterList,
};

/** Runs `mq admin <command>`; resolves with the exit code (2 = bad arguments, 1 = the operation failed). */
export async function runAdmin(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(usage());
    return sub === undefined ? 2 : 0;
  }
  const fn = SUBCOMMANDS[sub];
  if (!fn) {
    console.error(`mq admin: unknown command ${JSON.stringify(sub)}\n\n${usage()}`);
    return 2;
  }
  const { options } = parseArgs(rest, SHORT, ['help']);
  if (options.help === 'true') {
    console.log(HELP[sub]);
    return 0;
  }
  const client = new RemotingClient({ connectTimeoutMs: 3000 });
  try {
    return await fn(client, options);
  } catch (err) {
    console.error(`mq admin ${sub}: ${(err as Error).message}`);
    return MqError.is(err, 'INVALID_ARGUMENT') ? 2 : 1;
  } finally {
    await client.close();
  }
}

registerCommand({ name: 'admin', summary: SUMMARY, run: runAdmin });
