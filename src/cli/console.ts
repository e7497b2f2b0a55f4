/**
 * `mq console`: the web console (JSON API + single-page front end) over a cluster's name servers. Options come from
 * `-c console.properties` and `--key=value`; tokens may come from files (adminTokenFile, readTokenFile). Prints
 * `console ready listenPort=<port> url=http://host:port/` once serving; SIGTERM stops it.
 */
import { MqError, describeOptions } from '../common';
import { CONSOLE_OPTIONS, ConsoleServer, resolveConsoleOptions } from '../console';
import type { ConsoleOptions } from '../console';
import { registerCommand } from './commands';
import { loadConfig, readSecretFile } from './config';
import { printReady, startRuntime } from './runtime';

const SUMMARY = 'run the web console (cluster, topics, groups, messages, DLQ, backlog alerts) over HTTP';

export async function runConsole(argv: string[]): Promise<number> {
  let loaded;
  let options: ConsoleOptions;
  try {
    loaded = loadConfig(argv, CONSOLE_OPTIONS, 'console');
    if (loaded.help) {
      console.log(`usage: mq console [-c console.properties] [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(CONSOLE_OPTIONS)}`);
      return 0;
    }
    const o = { ...loaded.options };
    if (o.adminTokenFile !== '') o.adminToken = readSecretFile(o.adminTokenFile, 'adminTokenFile', 'console');
    if (o.readTokenFile !== '') o.readToken = readSecretFile(o.readTokenFile, 'readTokenFile', 'console');
    if (o.namesrvAddr === '') o.namesrvAddr = process.env.NAMESRV_ADDR ?? '';
    options = resolveConsoleOptions(o);
  } catch (err) {
    if (MqError.is(err)) {
      console.error(`mq console: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const rt = await startRuntime({ component: 'console', httpPort: -1, logLevel: options.logLevel || undefined, health: () => ({ ok: true }) });
  const server = new ConsoleServer(options, { logger: rt.logger });
  rt.onShutdown(() => server.close());
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    console.error(`mq console: ${(err as Error).message}`);
    await rt.shutdown('start failed');
    return 1;
  }
  printReady('console', { listenPort: port, url: `http://${options.listenHost}:${port}/` });
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'console', summary: SUMMARY, run: runConsole });
