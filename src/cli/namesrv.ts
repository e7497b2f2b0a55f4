/**
 * `mq namesrv`: runs a name server (ref §7). Options use RocketMQ's key names and come from `-c file.properties`
 * and `--key=value`. Prints `namesrv ready listenPort=<port> httpPort=<port>` once serving; SIGTERM stops it.
 */
import { MqError, describeOptions } from '../common';
import { NAMESRV_IGNORED_KEYS, NAMESRV_OPTIONS, NamesrvController, resolveNamesrvOptions } from '../namesrv';
import { registerCommand } from './commands';
import { loadConfig, readSecretFile } from './config';
import { printReady, startRuntime } from './runtime';
import type { ProcessRuntime } from './runtime';

const SUMMARY = 'run a name server (routes and broker liveness)';

export async function runNamesrv(argv: string[]): Promise<number> {
  let loaded;
  let options;
  try {
    loaded = loadConfig(argv, NAMESRV_OPTIONS, 'namesrv', {}, { ignored: NAMESRV_IGNORED_KEYS });
    options = loaded.options;
    if (options.clusterSecretFile !== '') {
      options = resolveNamesrvOptions({ ...options, clusterSecret: readSecretFile(options.clusterSecretFile, 'clusterSecretFile', 'namesrv') });
    }
  } catch (err) {
    if (MqError.is(err)) {
      console.error(`mq namesrv: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (loaded.help) {
    console.log(`usage: mq namesrv [-c namesrv.properties] [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(NAMESRV_OPTIONS)}`);
    return 0;
  }
  // The health check is built before the controller exists; it reads it through this holder.
  const holder: { controller?: NamesrvController } = {};
  let rt: ProcessRuntime;
  try {
    rt = await startRuntime({
      component: 'namesrv',
      httpPort: options.httpPort,
      // Unset option: undefined, so that createLogger falls back to MQ_LOG_LEVEL, then info.
      logLevel: options.logLevel || undefined,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      httpHost: options.httpHost,
      health: () => {
        const running = holder.controller?.running ?? false;
        const liveBrokers = holder.controller?.routes.liveBrokerCount() ?? 0;
        return {
          ok: running,
          liveBrokers,
          topics: holder.controller?.routes.topicCount() ?? 0,
          checks: [
            running ? { name: 'serving', ok: true } : { name: 'serving', ok: false, detail: 'remoting port not listening' },
            // No broker registered: the name server works, but every route lookup fails.
            liveBrokers > 0 ? { name: 'brokers', ok: true } : { name: 'brokers', ok: true, degraded: true, detail: 'no live broker registered' },
          ],
        };
      },
    });
  } catch (err) {
    console.error(`mq namesrv: ${(err as Error).message}`);
    return 1;
  }
  if (loaded.ignoredKeys.length > 0) {
    rt.logger.warn(
      { keys: loaded.ignoredKeys, configFile: loaded.configFile },
      `RocketMQ keys accepted without effect here: ${loaded.ignoredKeys.join(', ')} (see README, "RocketMQ keys without effect")`,
    );
  }
  const c = new NamesrvController(options, { logger: rt.logger, registry: rt.registry });
  holder.controller = c;
  rt.onShutdown(() => c.shutdown());
  let port: number;
  try {
    port = await c.start();
  } catch (err) {
    rt.logger.error({ err }, 'name server failed to start');
    console.error(`mq namesrv: ${(err as Error).message}`);
    await rt.shutdown('start failed');
    return 1;
  }
  rt.logger.info({ listenPort: port, httpPort: rt.http.port, configFile: loaded.configFile }, 'name server started');
  // Only ports this process really bound (httpPort=-1: no HTTP listener).
  printReady('namesrv', rt.http.port > 0 ? { listenPort: port, httpPort: rt.http.port } : { listenPort: port });
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'namesrv', summary: SUMMARY, run: runNamesrv });
