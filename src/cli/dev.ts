/**
 * `mq dev`: the embedded default. One process runs a name server, a broker set (master and, with HA, a slave) and a
 * gateway with memory coordination, with data under ./data, on the default ports (9876; 10911/10912; slave
 * 10921/10922; Thrift 9090; gateway /metrics 9091). Prints
 * `dev ready gatewayPort=<p> namesrvPort=<p> masterPort=<p> [slavePort=<p>] [httpPort=<p>] [consolePort=<p>] dataDir=<dir>`
 * when
 * ready. SIGINT (Ctrl-C) / SIGTERM stop the gateway first (offsets written), then the slave, the master (store
 * flushed, nothing acknowledged is lost) and the name server.
 *
 * `--basePort=0` picks free ports for everything (tests); `--basePort=N` uses N (name server), N+1 (master, HA N+2),
 * N+3 (slave, HA N+4), N+5 (Thrift), N+6 (HTTP), N+7 (web console).
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { Registry } from 'prom-client';
import { MqError, describeOptions, freePort, opt } from '../common';
import { BROKER_FULL_SPEC, BrokerController, resolveBrokerConfig } from '../broker';
import { GatewayController } from '../gateway';
import { MergedExposition } from '../metrics';
import { ConsoleServer, gatewayLeases, resolveConsoleOptions } from '../console';
import { NamesrvController, resolveNamesrvOptions } from '../namesrv';
import { registerCommand } from './commands';
import { loadConfig } from './config';
import { printReady, startRuntime } from './runtime';
import type { ProcessRuntime } from './runtime';

const SUMMARY = 'run a name server, a master/slave broker set and a gateway in one process (data under ./data)';

/** Options of `mq dev` (ports, data directory, broker set shape); everything else uses the components' defaults. */
export const DEV_OPTIONS = {
  dataDir: opt('./data', 'directory for the brokers data (master/ and slave/ below it)'),
  basePort: opt<number>(-1, '-1 = the default ports; 0 = free ports for everything; N = N..N+7 (see mq dev --help)', {
    min: -1,
    max: 65000,
  }),
  namesrvPort: opt(9876, 'name server port', { min: 0, max: 65535 }),
  masterPort: opt(10911, 'master broker port (HA on port + 1)', { min: 0, max: 65535 }),
  slavePort: opt(10921, 'slave broker port (HA on port + 1)', { min: 0, max: 65535 }),
  gatewayPort: opt(9090, 'gateway Thrift port', { min: 0, max: 65535 }),
  httpPort: opt(9091, 'gateway /metrics and /healthz port (-1 = off)', { min: -1, max: 65535 }),
  consolePort: opt(8080, 'web console port (-1 = off; with basePort=N it is N+7)', { min: -1, max: 65535 }),
  consoleAdminToken: opt<string>('', 'console admin token (empty = a random one, written to <dataDir>/console/admin.token)'),
  consoleReadToken: opt<string>('', 'console read-only token (empty = none)'),
  slave: opt(true, 'start a slave that replicates the master (needs HA in the broker)'),
  brokerName: opt('broker-a', 'name of the broker set'),
  brokerRole: opt<string>('ASYNC_MASTER', 'role of the master: ASYNC_MASTER or SYNC_MASTER', { values: ['ASYNC_MASTER', 'SYNC_MASTER'] }),
  flushDiskType: opt<string>('ASYNC_FLUSH', 'ASYNC_FLUSH or SYNC_FLUSH', { values: ['ASYNC_FLUSH', 'SYNC_FLUSH'] }),
  mappedFileSizeCommitLog: opt(128 * 1024 * 1024, 'commit-log segment size of the dev brokers, bytes', { min: 1024 * 1024 }),
  autoCreateTopic: opt(true, 'a send to an unknown topic creates it (dev convenience; off in production configs)'),
  maxReconsumeTimes: opt(16, 'deliveries before an unacked message moves to %DLQ%<group>', { min: 1, max: 1000 }),
  logLevel: opt('warn', 'pino log level of every component (on stderr)'),
  shutdownTimeoutMs: opt(30000, 'after SIGTERM/SIGINT the process exits (code 1) if shutdown takes longer, ms (0 = no bound); a second signal exits at once', {
    min: 0,
    max: 600000,
  }),
};


/** The HA port of a broker: listenPort + 1 by convention, or a free port when the listen port is picked by the OS. */
async function haPortFor(listenPort: number): Promise<number> {
  // With listenPort=0 the broker would use the bound port + 1, which another process may hold.
  return listenPort === 0 ? freePort() : 0;
}

/**
 * Names the `mq dev` option behind a port when a component fails to start on it (the component's own message names
 * its own key, e.g. listenPort, which mq dev does not have).
 */
function devOption<T>(option: string, port: number, p: Promise<T>): Promise<T> {
  return p.catch((err: Error) => {
    if (!/EADDRINUSE|address in use|cannot listen|cannot bind/i.test(err.message)) throw err;
    throw new MqError('UNAVAILABLE', `${err.message} [mq dev: option ${option}=${port}, or --basePort=0 for free ports]`, { cause: err });
  });
}

/** True when this build's broker runs master/slave replication (its options know the HA keys). */
function haAvailable(): boolean {
  return Object.prototype.hasOwnProperty.call(BROKER_FULL_SPEC, 'haMasterAddress');
}

/**
 * The console of `mq dev`: on 127.0.0.1, over the embedded name server, showing the gateway's leases. Without
 * consoleAdminToken a random admin token is written to <dataDir>/console/admin.token (mode 0600) and its path printed.
 */
async function startDevConsole(
  rt: Awaited<ReturnType<typeof startRuntime>>,
  gateway: GatewayController,
  c: { namesrvAddr: string; port: number; dataDir: string; adminToken: string; readToken: string },
): Promise<number> {
  const server = new ConsoleServer(
    resolveConsoleOptions({ namesrvAddr: c.namesrvAddr, listenPort: c.port, dataDir: c.dataDir, adminToken: devConsoleToken(c.adminToken, c.dataDir), readToken: c.readToken }),
    {
      logger: rt.logger.child({ component: 'console' }),
      gatewayStatus: async () => (gateway.coordinator ? gatewayLeases(gateway.coordinator) : { groups: [] }),
    },
  );
  rt.onShutdown(() => server.close());
  return server.start();
}

/** The dev console's admin token: the option, or a random one kept in a 0600 file (printed on stderr). */
function devConsoleToken(given: string, dir: string): string {
  if (given !== '') return given;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'admin.token');
  const token = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  console.error(`mq dev: console admin token written to ${file}`);
  return token;
}

/** Runs `mq dev` until SIGTERM/SIGINT; resolves with the exit code. */
export async function runDev(argv: string[]): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(argv, DEV_OPTIONS, 'dev');
  } catch (err) {
    if (MqError.is(err)) {
      console.error(`mq dev: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const o = loaded.options;
  if (loaded.help) {
    console.log(`usage: mq dev [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(DEV_OPTIONS)}`);
    return 0;
  }
  // basePort: -1 keeps each default, 0 asks the OS for free ports, N lays the ports out from N.
  const port = (def: number, offset: number): number => (o.basePort < 0 ? def : o.basePort === 0 ? 0 : o.basePort + offset);
  const ports = {
    namesrv: port(o.namesrvPort, 0),
    master: port(o.masterPort, 1),
    slave: port(o.slavePort, 3),
    gateway: port(o.gatewayPort, 5),
    http: o.httpPort < 0 ? -1 : port(o.httpPort, 6),
    console: o.consolePort < 0 ? -1 : port(o.consolePort, 7),
  };
  // The slave needs the broker's HA (replication); without it a slave would serve an empty store.
  const withSlave = o.slave && haAvailable();
  const dataDir = path.resolve(o.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  const holder: { gateway?: GatewayController } = {};
  // /metrics serves every embedded process: each series labelled with the process (and broker name and id).
  const exposition = new MergedExposition();
  let rt: ProcessRuntime;
  try {
    rt = await startRuntime({
      exposition,
      component: 'dev',
      httpPort: ports.http,
      logLevel: o.logLevel,
      shutdownTimeoutMs: o.shutdownTimeoutMs,
      health: () => holder.gateway?.health() ?? { ok: false },
    });
  } catch (err) {
    console.error(`mq dev: ${(err as Error).message}`);
    return 1;
  }
  const log = rt.logger;
  exposition.add(rt.registry, { process: 'gateway' });
  const registryFor = (labels: Record<string, string>): Registry => {
    const r = new Registry();
    exposition.add(r, labels);
    return r;
  };
  try {
    // Name server first: everyone registers with it.
    const ns = new NamesrvController(resolveNamesrvOptions({ listenPort: ports.namesrv, bindAddress: '127.0.0.1', httpPort: -1 }), {
      logger: log.child({ component: 'namesrv' }),
      registry: registryFor({ process: 'namesrv' }),
    });
    rt.onShutdown(() => ns.shutdown());
    const namesrvPort = await devOption('namesrvPort', ports.namesrv, ns.start());
    const namesrvAddr = `127.0.0.1:${namesrvPort}`;
    const brokerBase = {
      brokerName: o.brokerName,
      namesrvAddr,
      httpPort: -1,
      flushDiskType: o.flushDiskType,
      mappedFileSizeCommitLog: o.mappedFileSizeCommitLog,
      maxReconsumeTimes: o.maxReconsumeTimes,
      logLevel: o.logLevel,
    };
    // Each component gets its own Registry (master and slave export the same metric names); httpPort serves them
    // all, told apart by the process, brokerName and brokerId labels.
    const master = new BrokerController(
      resolveBrokerConfig({ ...brokerBase, brokerRole: o.brokerRole, brokerId: 0, listenPort: ports.master, haListenPort: await haPortFor(ports.master), storePathRootDir: path.join(dataDir, 'master') }),
      { logger: log, registry: registryFor({ process: 'broker', brokerName: o.brokerName, brokerId: '0' }) },
    );
    rt.onShutdown(() => master.shutdown());
    const masterAddr = await devOption('masterPort', ports.master, master.start());
    let slavePort: number | 'off' = 'off';
    if (withSlave) {
      const slave = new BrokerController(
        resolveBrokerConfig({ ...brokerBase, brokerRole: 'SLAVE', brokerId: 1, listenPort: ports.slave, haListenPort: await haPortFor(ports.slave), storePathRootDir: path.join(dataDir, 'slave') }),
        { logger: log, registry: registryFor({ process: 'broker', brokerName: o.brokerName, brokerId: '1' }) },
      );
      rt.onShutdown(() => slave.shutdown());
      slavePort = (await devOption('slavePort', ports.slave, slave.start())).listenPort;
    } else if (o.slave) {
      log.warn('this build has no broker HA: running the master only');
    }
    const gateway = new GatewayController(
      {
        namesrvAddr,
        listenPort: ports.gateway,
        listenHost: '127.0.0.1',
        coord: 'memory',
        autoCreateTopic: o.autoCreateTopic,
        maxReconsumeTimes: o.maxReconsumeTimes,
        // Short timers: a dev cluster should notice new topics and brokers at once.
        pollNameServerInterval: 5000,
        offsetFlushIntervalMs: 2000,
      },
      { logger: log, registry: rt.registry },
    );
    holder.gateway = gateway;
    // Hooks run in reverse order: gateway first, then slave, master, name server.
    rt.onShutdown(() => gateway.shutdown());
    const gatewayPort = await devOption('gatewayPort', ports.gateway, gateway.start());
    // Only ports that were bound: no slavePort without a slave, no httpPort with httpPort=-1, no consolePort with -1.
    const ready: Record<string, string | number> = { gatewayPort, namesrvPort, masterPort: masterAddr.listenPort };
    if (slavePort !== 'off') ready.slavePort = slavePort;
    if (rt.http.port > 0) ready.httpPort = rt.http.port;
    if (ports.console >= 0) {
      ready.consolePort = await devOption(
        'consolePort',
        ports.console,
        startDevConsole(rt, gateway, {
          namesrvAddr,
          port: ports.console,
          dataDir: path.join(dataDir, 'console'),
          adminToken: o.consoleAdminToken,
          readToken: o.consoleReadToken,
        }),
      );
    }
    ready.dataDir = dataDir;
    printReady('dev', ready);
  } catch (err) {
    log.error({ err }, 'dev cluster failed to start');
    console.error(`mq dev: ${(err as Error).message}`);
    await rt.shutdown('start failed');
    return 1;
  }
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'dev', summary: SUMMARY, run: runDev });
