/**
 * `mq gateway`: runs the Thrift gateway. Options (gateway keys, our RocketMQ client's keys such as namesrvAddr or
 * namesrvDomain, and with coord=redis the Redis keys) come from `-c gateway.properties` and `--key=value`. This file
 * reads the files the options name: tokens, TLS material (certificate, key, client CA), and secrets kept out of the
 * command line (receiptSecretFile, redisPasswordFile). The tokens file and the TLS files are read again on SIGHUP and
 * when they change (checked every 2 s); a file that fails to parse keeps the previous one in force (logged).
 * Prints `gateway ready listenPort=<p> httpPort=<p>` once serving; SIGTERM/SIGINT stop it cleanly (offsets written).
 */
import fs from 'fs';
import { MqError, describeOptions } from '../common';
import { GATEWAY_FULL_SPEC, GatewayController, resolveGatewayOptions } from '../gateway';
import type { GatewayDeps, GatewayOptions, ServerTls } from '../gateway';
import { registerCommand } from './commands';
import { loadConfig } from './config';
import { printReady, startRuntime } from './runtime';

const SUMMARY = 'run the Thrift gateway (send/get for Python, PHP, Go pipelines)';
/** How often the tokens and TLS files are checked for changes, ms. */
const WATCH_INTERVAL_MS = 2000;

/** Reads a file an option names; a failure names the option and the file. */
function readFile(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new MqError('INVALID_OPTION', `gateway: cannot read ${option} ${file}: ${(err as Error).message}`, { details: { option } });
  }
}

/** Reads a secret from a file: its content without surrounding whitespace; an empty file is refused. */
function readSecret(option: string, file: string): string {
  const v = readFile(option, file).toString('utf8').trim();
  if (v === '') throw new MqError('INVALID_OPTION', `gateway: ${option} ${file} is empty`, { details: { option } });
  return v;
}

type FileDeps = Pick<GatewayDeps, 'authTokensText' | 'tls' | 'redisPassword'>;

function tlsFiles(o: GatewayOptions): ServerTls | undefined {
  if (o.tlsCertFile === '') return undefined;
  return {
    cert: readFile('tlsCertFile', o.tlsCertFile),
    key: readFile('tlsKeyFile', o.tlsKeyFile),
    ...(o.tlsCaFile !== '' ? { ca: readFile('tlsCaFile', o.tlsCaFile) } : {}),
  };
}

/** The file-backed parts of the gateway's dependencies: tokens, TLS material and the Redis password. */
export function gatewayFiles(o: GatewayOptions): FileDeps {
  const out: FileDeps = {};
  if (o.authTokensFile !== '') out.authTokensText = readFile('authTokensFile', o.authTokensFile).toString('utf8');
  const t = tlsFiles(o);
  if (t) out.tls = t;
  if (o.redisPasswordFile !== '') out.redisPassword = readSecret('redisPasswordFile', o.redisPasswordFile);
  return out;
}

/** Options with the secrets that come from files filled in (receiptSecretFile). */
export function withFileSecrets(o: GatewayOptions): GatewayOptions {
  if (o.receiptSecretFile === '') return o;
  // The file is read once: the options carry the secret itself from here on.
  return { ...o, receiptSecret: readSecret('receiptSecretFile', o.receiptSecretFile), receiptSecretFile: '' } as GatewayOptions;
}

/**
 * Re-reads the tokens file and the TLS files on SIGHUP and when they change. Returns a function that stops
 * watching.
 */
export function watchGatewayFiles(o: GatewayOptions, gateway: GatewayController, log: { info(o: object, m: string): void; error(o: object, m: string): void }): () => void {
  const reloadTokens = (why: string): void => {
    if (o.authTokensFile === '') return;
    try {
      gateway.reloadAuth(readFile('authTokensFile', o.authTokensFile).toString('utf8'));
      log.info({ why, file: o.authTokensFile }, 'tokens file reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message, file: o.authTokensFile }, 'tokens file not reloaded: the previous tokens stay in force');
    }
  };
  const reloadTls = (why: string): void => {
    if (o.tlsCertFile === '') return;
    try {
      gateway.reloadTls(tlsFiles(o) as ServerTls);
      log.info({ why }, 'TLS files reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'TLS files not reloaded: the previous certificate stays in force');
    }
  };
  const onHup = (): void => {
    reloadTokens('SIGHUP');
    reloadTls('SIGHUP');
  };
  process.on('SIGHUP', onHup);
  const watched: string[] = [];
  const watch = (file: string, fn: (why: string) => void): void => {
    if (file === '') return;
    watched.push(file);
    fs.watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) fn('file changed');
    });
  };
  watch(o.authTokensFile, reloadTokens);
  for (const f of [o.tlsCertFile, o.tlsKeyFile, o.tlsCaFile]) watch(f, reloadTls);
  return () => {
    process.off('SIGHUP', onHup);
    for (const f of watched) fs.unwatchFile(f);
  };
}

/** Runs `mq gateway` until SIGTERM/SIGINT; resolves with the exit code (2 for bad options, 1 for a failed start). */
export async function runGateway(argv: string[]): Promise<number> {
  let options: GatewayOptions;
  let files: FileDeps;
  try {
    const loaded = loadConfig(argv, GATEWAY_FULL_SPEC, 'gateway');
    if (loaded.help) {
      console.log(`usage: mq gateway [-c gateway.properties] [--key=value ...]\n\n${SUMMARY}\n\noptions:\n${describeOptions(GATEWAY_FULL_SPEC)}`);
      return 0;
    }
    options = withFileSecrets(resolveGatewayOptions(loaded.options as unknown as Record<string, unknown>));
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
  let rt;
  try {
    rt = await startRuntime({
      component: 'gateway',
      httpPort: options.httpPort,
      httpHost: options.httpHost,
      logLevel: options.logLevel,
      health: () => holder.gateway?.health() ?? { ok: false, checks: [{ name: 'gateway', ok: false, detail: 'starting' }] },
    });
  } catch (err) {
    console.error(`mq gateway: ${(err as Error).message}`);
    return 1;
  }
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
  const unwatch = watchGatewayFiles(options, gateway, rt.logger);
  rt.onShutdown(unwatch);
  printReady('gateway', { listenPort: port, httpPort: rt.http.port });
  await rt.stopped;
  return 0;
}

registerCommand({ name: 'gateway', summary: SUMMARY, run: runGateway });
