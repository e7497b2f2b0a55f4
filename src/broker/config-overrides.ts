/**
 * Live configuration changes that survive a restart.
 *
 * UPDATE_BROKER_CONFIG (`mq admin updateBrokerConfig`, e.g. `brokerPermission=4` to freeze writes for a blue/green
 * switch) is written to `<storePathRootDir>/config/broker-overrides.properties`, and that file is applied over the
 * configuration (the `-c` file and command line) when the broker starts. The store directory is used, not the `-c`
 * file, because the `-c` file belongs to whoever deploys it (a template re-rendered by Ansible would silently undo a
 * freeze, and rewriting it would drop its comments), and a broker may run without one; the store directory is the
 * broker's own, kept across upgrades. Only live keys (LIVE_OPTION_KEYS) are ever stored; the file is validated like
 * UPDATE_BROKER_CONFIG input. Setting the key back (`brokerPermission=6`) is stored too.
 */
import fs from 'fs';
import path from 'path';
import { MqError, parseProperties } from '../common';
import { applyLiveChanges } from './config';
import type { BrokerConfig } from './config';

/** The overrides file, relative to storePathRootDir. */
export const CONFIG_OVERRIDES_FILE = path.join('config', 'broker-overrides.properties');

function fileOf(storePathRootDir: string): string {
  return path.join(storePathRootDir, CONFIG_OVERRIDES_FILE);
}

function readRaw(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return parseProperties(text);
}

/**
 * Applies the stored overrides to `cfg` (at start). Returns what was applied.
 * @throws MqError('INVALID_OPTION') naming the file when it holds a key or value UPDATE_BROKER_CONFIG would refuse.
 */
export function applyConfigOverrides(cfg: BrokerConfig): Record<string, unknown> {
  const file = fileOf(cfg.storePathRootDir);
  const raw = readRaw(file);
  if (Object.keys(raw).length === 0) return {};
  try {
    return applyLiveChanges(cfg, raw);
  } catch (err) {
    throw new MqError('INVALID_OPTION', `broker: ${file}: ${(err as Error).message} (fix or remove the file)`, { cause: err });
  }
}

/** Stores live changes (merged with the earlier ones), atomically (write + rename). */
export function persistConfigOverrides(storePathRootDir: string, changed: Record<string, unknown>): void {
  if (Object.keys(changed).length === 0) return;
  const file = fileOf(storePathRootDir);
  const merged: Record<string, string> = readRaw(file);
  for (const [k, v] of Object.entries(changed)) merged[k] = String(v);
  const lines = [
    '# Written by the broker: live changes made with UPDATE_BROKER_CONFIG (mq admin updateBrokerConfig).',
    '# Applied over the -c file at start. Change them with updateBrokerConfig, or edit while the broker is stopped.',
    ...Object.keys(merged)
      .sort()
      .map((k) => `${k}=${merged[k]}`),
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  fs.renameSync(tmp, file);
}
