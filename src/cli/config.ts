/**
 * Loads a component's configuration: a `.properties` file named by `-c`/`--config` (RocketMQ key names), overridden
 * by `--key=value` arguments, resolved against the component's option spec (unknown keys are rejected).
 */
import fs from 'fs';
import { MqError, parseArgs, parseProperties, resolveOptions } from '../common';
import type { OptionSpec, Resolved } from '../common';

export interface LoadedConfig<S extends OptionSpec> {
  options: Resolved<S>;
  positionals: string[];
  help: boolean;
  configFile?: string;
}

/** Keys every process accepts on top of its own spec. */
const COMMON_KEYS = new Set(['config', 'c', 'help', 'h']);

export function loadConfig<S extends OptionSpec>(
  argv: readonly string[],
  spec: S,
  component: string,
  shortNames: Record<string, string> = {},
): LoadedConfig<S> {
  const { options, positionals } = parseArgs(argv, { c: 'config', h: 'help', ...shortNames });
  const help = options.help === 'true';
  const configFile = options.config;
  let fromFile: Record<string, string> = {};
  if (configFile !== undefined && !help) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new MqError('INVALID_OPTION', `${component}: cannot read config file ${configFile}: ${(err as Error).message}`);
    }
    fromFile = parseProperties(text);
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [k, v] of Object.entries(options)) if (!COMMON_KEYS.has(k)) merged[k] = v;
  return { options: help ? resolveOptions(spec, {}, component) : resolveOptions(spec, merged, component), positionals, help, configFile };
}

/** Reads a secret from a file (the `…File` options): trailing whitespace and newlines are dropped. */
export function readSecretFile(file: string, option: string, component: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MqError('INVALID_OPTION', `${component}: cannot read ${option} ${file}: ${(err as Error).message}`, { details: { option } });
  }
  const secret = text.replace(/\s+$/, '');
  if (secret === '') throw new MqError('INVALID_OPTION', `${component}: ${option} ${file} is empty`, { details: { option } });
  return secret;
}
