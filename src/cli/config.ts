/**
 * Loads a component's configuration: a `.properties` file named by `-c`/`--config` (RocketMQ key names), overridden
 * by `--key=value` arguments, resolved against the component's option spec.
 *
 * Every problem is reported at once, each with its place (`file:line` or "command line"): unknown keys, bad values
 * and RocketMQ keys whose meaning cannot be honoured here. RocketMQ keys that exist upstream but have no effect
 * here are accepted and returned in `ignoredKeys`, so that the caller can warn once with the whole list.
 */
import fs from 'fs';
import { MqError, parseArgs, parsePropertyEntries, resolveOptions } from '../common';
import type { OptionSpec, Resolved } from '../common';

export interface LoadedConfig<S extends OptionSpec> {
  options: Resolved<S>;
  positionals: string[];
  help: boolean;
  configFile?: string;
  /** Upstream RocketMQ keys that were given and have no effect here (warn about them once). */
  ignoredKeys: string[];
}

/** What a component knows about RocketMQ's keys that it does not implement. */
export interface UpstreamKeys {
  /** Keys accepted without effect: key → why it has none. */
  ignored?: Readonly<Record<string, string>>;
  /** Keys refused for values whose meaning cannot be honoured: key → check returning the reason (or undefined). */
  refused?: Readonly<Record<string, (value: string, given: Readonly<Record<string, string>>) => string | undefined>>;
}

/** Keys every process accepts on top of its own spec. */
const COMMON_KEYS = new Set(['config', 'c', 'help', 'h']);

export function loadConfig<S extends OptionSpec>(
  argv: readonly string[],
  spec: S,
  component: string,
  shortNames: Record<string, string> = {},
  upstream: UpstreamKeys = {},
): LoadedConfig<S> {
  const { options, positionals } = parseArgs(argv, { c: 'config', h: 'help', ...shortNames });
  const help = options.help === 'true';
  const configFile = options.config;
  if (help) return { options: resolveOptions(spec, {}, component), positionals, help, configFile, ignoredKeys: [] };
  const given: Array<{ key: string; value: string; where: string }> = [];
  if (configFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new MqError('INVALID_OPTION', `${component}: cannot read config file ${configFile}: ${(err as Error).message}`);
    }
    for (const e of parsePropertyEntries(text)) given.push({ key: e.key, value: e.value, where: `${configFile}:${e.line}` });
  }
  for (const [k, v] of Object.entries(options)) if (!COMMON_KEYS.has(k)) given.push({ key: k, value: v, where: `--${k} (command line)` });

  const merged: Record<string, unknown> = {};
  const givenMap: Record<string, string> = {};
  for (const g of given) givenMap[g.key] = g.value;
  const problems: string[] = [];
  const unknown: string[] = [];
  const ignored = new Set<string>();
  for (const g of given) {
    if (Object.prototype.hasOwnProperty.call(spec, g.key)) {
      try {
        resolveOptions(spec, { [g.key]: g.value }, component);
        merged[g.key] = g.value;
      } catch (err) {
        problems.push(`${g.where}: ${(err as Error).message.replace(`${component}: `, '')}`);
      }
      continue;
    }
    const refuse = upstream.refused?.[g.key];
    const why = refuse?.(g.value, givenMap);
    if (why !== undefined) {
      problems.push(`${g.where}: ${g.key}=${g.value} cannot be honoured here: ${why}`);
      continue;
    }
    if (refuse || upstream.ignored?.[g.key] !== undefined) {
      ignored.add(g.key);
      continue;
    }
    unknown.push(g.key);
    problems.push(`${g.where}: unknown option ${g.key}`);
  }
  if (problems.length > 0) {
    const known = unknown.length > 0 ? `\nknown options: ${Object.keys(spec).sort().join(', ')}` : '';
    const n = problems.length;
    throw new MqError('INVALID_OPTION', `${component}: ${n} configuration problem${n === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}${known}`, {
      details: { problems, unknown },
    });
  }
  return { options: resolveOptions(spec, merged, component), positionals, help, configFile, ignoredKeys: [...ignored].sort() };
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
