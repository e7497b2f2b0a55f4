/**
 * `mq gateway`: runs the Thrift gateway. Options (gateway keys, our RocketMQ client's keys such as namesrvAddr or
 * namesrvDomain, and with coord=redis the Redis keys) come from `-c gateway.properties` and `--key=value`. This file
 * reads the tokens file and the TLS files named by the options. Prints
 * `gateway ready listenPort=<p> httpPort=<p>` once serving; SIGTERM/SIGINT stop it cleanly (offsets written).
 */
import fs from 'fs';
import { MqError, describeOptions } from '../common';
import { GATEWAY_FULL_SPEC, GatewayController, resolveGatewayOptions } from '../gateway';
import type { GatewayDeps, GatewayOptions } from '../gateway';
import { registerCommand } from './commands';
import { loadConfig } from './config';
import { printReady, startRuntime } from './runtime';

const SUMMARY = 'run the Thrift gateway (send/get for Python, PHP, Go pipelines)';

/** Reads a file an option names; a failure names the option and the file. */
function readFile(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new MqError('INVALID_OPTION', `gateway: cannot read ${option} ${file}: ${(err as Error).message}`, { details: { option } });
  }
}

/** The file-backed parts of the gateway's dependencies: tokens and TLS material. */
export function gatewayFiles(o: GatewayOptions): Pick<GatewayDeps, 'authTokensText' | 'tls'> {
  const out: Pick<GatewayDeps, 'authTokensText' | 'tls'> = {};
  if (o.authTokensFile !== '') out.authTokensText = readFile('authTokensFile', o.authTokensFile).toString('utf8');
  if (o.tlsCertFile !== '') out.tls = { cert: readFile('tlsCertFile', o.tlsCertFile), key: readFile('tlsKeyFile', o.tlsKeyFile) };
  return out;
}

/** Runs `mq gateway` until SIGTERM/SIGINT; resolves with the exit code (2 for bad options, 1 for a failed start). */
export async function runGateway(argv: string[]): Promise<number> {
  let options: GatewayOptions;
  let files: Pick<GatewayDeps, 'authTokensText' | 'tls'>;
  try {
    const loaded = loadConfig(argv, GATEWAY_FULL_SPEC, 'gateway');
    if (loaded.help) {
      console.log(`usage: mq gateway [-c gateway.properties] [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(GATEWAY_FULL_SPEC)}`);
      return 0;
    }
    options = resolveGatewayOptions(loaded.options as unknown as Record<string, unknown>);
    files = gatewayFiles(options);
  } catch (err) {
    if (err instanceof Error) {
      console.error(`mq gateway: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // /healthz is served before the gateway exists; it reads it through this holder.
  const holder: { gateway?: GatewayController } = {};
  const rt = await startRuntime({
    component: 'gateway',
    httpPort: options.httpPort,
    logLevel: options.logLevel,
    health: () => holder.gateway?.health() ?? { ok: false },
  });
  let gateway: GatewayController;
  let port: number;
  try {
    gateway = new GatewayController(options, { logger: rt.logger, registry: rt.registry, ...files });
    holder.gateway = gateway;
    rt.onShutdown(() => gateway.shutdown());
    port = await gateway.start();
  } catch (err) {
    rt.logger.error({ err }, 'gateway failed to start');
    console.error(`mq gateway: ${(err as Error).message}`);
    await rt.shutdown('start failed');
    return 1;
  }
  printReady('gateway', { listenPort: port, httpPort: rt.http.port });
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'gateway', summary: SUMMARY, run: runGateway });
