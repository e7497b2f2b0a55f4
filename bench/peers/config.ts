/**
 * Command line and environment of the peer benchmark, and the client-side window every system is driven with.
 */
import { GOAL_SIZES, KiB, MiB, sizeLabel } from './goals';
import type { SystemKey } from './goals';

export const SCENARIOS = ['throughput', 'latency'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const SYSTEMS: SystemKey[] = ['redis-list', 'redis-streams', 'rabbitmq', 'nats', 'gateway', 'direct'];

export interface BenchConfig {
  /** Time budget of each throughput phase, seconds. */
  seconds: number;
  sizes: number[];
  scenarios: Scenario[];
  systems: SystemKey[];
  /** File to write the figures to as JSON. */
  json?: string;
  /** Directory for V8 CPU profiles of our gateway and broker (node --cpu-prof), written when they stop. */
  cpuProf?: string;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/peers [options]        (or: npm run bench -- peers)

Runs Redis LIST, Redis Streams, RabbitMQ, NATS JetStream and ours (Thrift gateway; direct to the broker) on
127.0.0.1, each started here as child processes with free ports and temp dirs, and prints per size msg/s, MB/s and
CPU µs per message (servers and client), end-to-end latency at 1,000 msg/s, and the goals as PASS/FAIL ratios.

options:
  --sizes <list>       body sizes, comma-separated (default ${GOAL_SIZES.map((s) => sizeLabel(s).replace(' ', '')).join(',')}); units B, KiB, MiB
  --scenarios <list>   ${SCENARIOS.join(',')} (default both)
  --systems <list>     ${SYSTEMS.join(',')} (default all)
  --seconds <n>        time budget of each produce phase (default: BENCH_PEERS_SECONDS or 3)
  --json <file>        also write every figure to <file> as JSON
  --cpu-prof <dir>     start our gateway, broker and name server with node --cpu-prof into <dir> (profiles
                       are written when they stop, at the end of the run; open them in Chrome DevTools)
  --help               this text

environment:
  BENCH_PEERS_SECONDS  as --seconds
Peers missing on this machine are skipped: bash scripts/bench-peers-setup.sh installs them.`;

/** "500", "500B", "2KiB", "1 MiB", "1m" → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kib|kb|m|mib|mb)?\s*$/i.exec(text);
  if (!m) throw new Error(`bad size ${JSON.stringify(text)} (examples: 500, 2KiB, 1MiB)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? KiB : unit.startsWith('m') ? MiB : 1;
  const n = Math.round(Number(m[1]) * mult);
  if (n < 16) throw new Error(`size ${text} is below 16 bytes (the latency phase stores a timestamp in the body)`);
  if (n > 8 * MiB) throw new Error(`size ${text} is above 8 MiB (the largest message every system here accepts)`);
  return n;
}

function list<T extends string>(what: string, text: string, known: readonly T[]): T[] {
  const items = text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const bad = items.filter((x) => !known.includes(x as T));
  if (bad.length > 0 || items.length === 0) throw new Error(`unknown ${what} ${bad.join(', ') || '(none given)'}; known: ${known.join(', ')}`);
  return [...new Set(items)] as T[];
}

/** Parses argv (without node and the script) and the environment; throws a clear error on bad input. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): BenchConfig {
  const cfg: BenchConfig = { seconds: 3, sizes: [...GOAL_SIZES], scenarios: [...SCENARIOS], systems: [...SYSTEMS], help: false };
  const seconds = (text: string, from: string): number => {
    const v = Number(text);
    if (!(Number.isFinite(v) && v > 0 && v <= 60)) throw new Error(`${from} must be a number of seconds in (0, 60], not ${JSON.stringify(text)}`);
    return v;
  };
  if (env.BENCH_PEERS_SECONDS !== undefined && env.BENCH_PEERS_SECONDS !== '') cfg.seconds = seconds(env.BENCH_PEERS_SECONDS, 'BENCH_PEERS_SECONDS');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0 && a.startsWith('--')) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--help':
      case '-h':
        cfg.help = true;
        break;
      case '--sizes':
        cfg.sizes = [...new Set(value().split(',').filter((x) => x.trim() !== '').map(parseSize))];
        if (cfg.sizes.length === 0) throw new Error('--sizes needs at least one size');
        break;
      case '--scenarios':
        cfg.scenarios = list('scenario', value(), SCENARIOS);
        break;
      case '--systems':
        cfg.systems = list('system', value(), SYSTEMS);
        break;
      case '--seconds':
        cfg.seconds = seconds(value(), '--seconds');
        break;
      case '--json':
        cfg.json = value();
        break;
      case '--cpu-prof':
        cfg.cpuProf = value();
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(a)} (see --help)`);
    }
  }
  return cfg;
}

/** Most messages a client keeps unacknowledged (produce) or takes per call per consumer (consume). */
export const WINDOW_MSGS = 64;
/** Most bytes in that window: large bodies get a smaller window (5 MiB: 3 messages). */
export const WINDOW_BYTES = 16 * MiB;
/** Concurrent calls for systems with a batch API, each carrying window / lanes messages. */
export const BATCH_LANES = 4;
/** Concurrent consumers in every drain. */
export const CONSUMERS = 4;

/** The window in messages for a body size: min(64, 16 MiB / size), at least 1. */
export function windowFor(size: number): number {
  return Math.max(1, Math.min(WINDOW_MSGS, Math.floor(WINDOW_BYTES / size)));
}

/**
 * How the window is filled: systems with a batch API (ours, Redis) send `lanes` batches of `batch` messages at a time;
 * the others (RabbitMQ, NATS) keep `window` single publishes in flight (lanes = window, batch 1). Either way at most
 * lanes × batch messages are unacknowledged.
 */
export function publishShape(size: number, batches: boolean): { lanes: number; batch: number } {
  const w = windowFor(size);
  if (!batches) return { lanes: w, batch: 1 };
  const lanes = Math.min(BATCH_LANES, w);
  return { lanes, batch: Math.floor(w / lanes) };
}
