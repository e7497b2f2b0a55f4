/**
 * `mq broker -c broker-a.properties`: runs a broker (issue 4). Options use RocketMQ's key names (broker and store
 * keys in one file) and may be overridden with `--key=value`. Prints
 * `broker ready listenPort=<p> haListenPort=<p> httpPort=<p> brokerName=<n>` once serving; SIGTERM = clean shutdown
 * (unregister from the name servers, flush, store shutdown).
 */
import { MqError, describeOptions } from '../common';
import fs from 'fs';
import { BROKER_FULL_SPEC, BROKER_IGNORED_KEYS, BROKER_REFUSED_KEYS, BrokerController, parsePlainAcl, resolveBrokerConfig } from '../broker';
import type { PlainAclConfig } from '../broker';
import { registerCommand } from './commands';
import { loadConfig, readSecretFile } from './config';
import { printReady, startRuntime } from './runtime';
import type { ProcessRuntime } from './runtime';

const SUMMARY = 'run a broker (commit-log store, send, pull, offsets, admin)';

/** Runs `mq broker`; resolves with the exit code after shutdown (2 = bad options, 1 = failed to start). */
export async function runBroker(argv: string[]): Promise<number> {
  let loaded;
  let config;
  let acl: PlainAclConfig | undefined;
  try {
    loaded = loadConfig(argv, BROKER_FULL_SPEC, 'broker', {}, { ignored: BROKER_IGNORED_KEYS, refused: BROKER_REFUSED_KEYS });
    if (loaded.help) {
      console.log(`usage: mq broker [-c broker.properties] [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(BROKER_FULL_SPEC)}`);
      return 0;
    }
    config = resolveBrokerConfig(loaded.options as unknown as Record<string, unknown>);
    if (config.clusterSecretFile !== '') config.clusterSecret = readSecretFile(config.clusterSecretFile, 'clusterSecretFile', 'broker');
    if (config.aclEnable) {
      if (config.aclFile === '') throw new MqError('INVALID_OPTION', 'broker: aclEnable=true needs aclFile=<path to a plain_acl.yml-format file>');
      let text: string;
      try {
        text = fs.readFileSync(config.aclFile, 'utf8');
      } catch (err) {
        throw new MqError('INVALID_OPTION', `broker: cannot read aclFile ${config.aclFile}: ${(err as Error).message}`);
      }
      acl = parsePlainAcl(text, config.aclFile);
    }
  } catch (err) {
    if (MqError.is(err) || err instanceof Error) {
      console.error(`mq broker: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const holder: { controller?: BrokerController; ready: boolean } = { ready: false };
  let rt: ProcessRuntime;
  try {
    rt = await startRuntime({
      component: 'broker',
      httpPort: config.httpPort,
      logLevel: config.logLevel || undefined,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      httpHost: config.httpHost,
      health: () => {
        const base = { brokerName: config.brokerName, brokerRole: config.brokerRole };
        if (!holder.ready || !holder.controller) return { ...base, ok: false, checks: [{ name: 'started', ok: false, detail: 'broker is starting' }] };
        return { ...base, ...holder.controller.health() };
      },
    });
  } catch (err) {
    console.error(`mq broker: ${(err as Error).message}`);
    return 1;
  }
  if (loaded.ignoredKeys.length > 0) {
    rt.logger.warn(
      { keys: loaded.ignoredKeys, configFile: loaded.configFile },
      `RocketMQ keys accepted without effect here: ${loaded.ignoredKeys.join(', ')} (see README, "RocketMQ keys without effect")`,
    );
  }
  const broker = new BrokerController(config, { logger: rt.logger, registry: rt.registry, acl });
  holder.controller = broker;
  rt.onShutdown(() => broker.shutdown());
  let addr;
  try {
    addr = await broker.start();
  } catch (err) {
    rt.logger.error({ err }, 'broker failed to start');
    console.error(`mq broker: ${(err as Error).message}`);
    await rt.shutdown('start failed');
    return 1;
  }
  holder.ready = true;
  // Only ports this process really bound: a slave has no HA listener, httpPort=-1 has no HTTP listener.
  const ready: Record<string, string | number> = { listenPort: addr.listenPort };
  if (config.brokerRole !== 'SLAVE') ready.haListenPort = addr.haListenPort;
  if (rt.http.port > 0) ready.httpPort = rt.http.port;
  ready.brokerName = config.brokerName;
  printReady('broker', ready);
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'broker', summary: SUMMARY, run: runBroker });
