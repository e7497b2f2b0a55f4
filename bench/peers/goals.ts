/**
 * The goals of the peer benchmark (issue "Faster than what users would pick instead") as ratios of figures measured in
 * one run, and their evaluation: PASS when the measured ratio (or latency) meets the goal, FAIL when not, and n/a when
 * a figure is missing (a peer that did not start, a phase that failed); n/a never counts as a pass.
 */

/** The systems the goals name. */
export type SystemKey = 'redis-list' | 'redis-streams' | 'rabbitmq' | 'nats' | 'gateway' | 'direct';

/** One throughput figure: a system, a phase (consume has a mode: "ack", "auto-ack", "receipts", ...) and a size. */
export interface Throughput {
  system: SystemKey;
  phase: 'produce' | 'consume';
  mode?: string;
  size: number;
  msgPerSec: number;
}

/** Latency figures of our gateway, ms (publish → consumer receive at 1,000 msg/s of 2 KiB). */
export interface GatewayLatency {
  p50?: number;
  p99?: number;
}

export type Verdict = 'PASS' | 'FAIL' | 'n/a';

/** One evaluated goal at one size (latency goals have no size). */
export interface GoalResult {
  /** Row label, e.g. "produce ≥ 1.2× best of RabbitMQ/NATS". */
  goal: string;
  size?: number;
  /** Ours ÷ reference for ratio goals; the figure itself (ms) for latency goals. */
  value: number;
  /** The bound: least ratio, or most ms. */
  need: number;
  /** Which figure was the reference (the better of RabbitMQ and NATS, say), for the printout. */
  reference?: string;
  verdict: Verdict;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
/** The sizes the goals are stated for. */
export const GOAL_SIZES = [500, 2 * KiB, 100 * KiB, MiB, 5 * MiB];
const SMALL = [500, 2 * KiB];

/** Readable size: 500 B, 2 KiB, 100 KiB, 1 MiB. */
export function sizeLabel(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} B`;
}

const NAMES: Record<SystemKey, string> = {
  'redis-list': 'Redis LIST',
  'redis-streams': 'Redis Streams',
  rabbitmq: 'RabbitMQ',
  nats: 'NATS',
  gateway: 'gateway',
  direct: 'direct',
};

function find(t: Throughput[], system: SystemKey, phase: 'produce' | 'consume', size: number, mode?: string): number | undefined {
  const hit = t.find((x) => x.system === system && x.phase === phase && x.size === size && (mode === undefined || x.mode === mode));
  return hit && Number.isFinite(hit.msgPerSec) && hit.msgPerSec > 0 ? hit.msgPerSec : undefined;
}

/** The larger figure of the named systems at one phase and size, with its system's name; undefined when none. */
function best(t: Throughput[], systems: SystemKey[], phase: 'produce' | 'consume', size: number): { v: number; name: string } | undefined {
  let out: { v: number; name: string } | undefined;
  for (const s of systems) {
    const v = find(t, s, phase, size);
    if (v !== undefined && (out === undefined || v > out.v)) out = { v, name: NAMES[s] };
  }
  return out;
}

function ratioGoal(goal: string, size: number, ours: number | undefined, ref: { v: number; name: string } | undefined, need: number): GoalResult {
  if (ours === undefined || ref === undefined) return { goal, size, value: NaN, need, reference: ref?.name, verdict: 'n/a' };
  const value = ours / ref.v;
  return { goal, size, value, need, reference: ref.name, verdict: value >= need ? 'PASS' : 'FAIL' };
}

function latencyGoal(goal: string, ms: number | undefined, need: number): GoalResult {
  if (ms === undefined || !Number.isFinite(ms)) return { goal, value: NaN, need, verdict: 'n/a' };
  return { goal, value: ms, need, verdict: ms <= need ? 'PASS' : 'FAIL' };
}

/** The gateway's consume modes the goals hold for. */
export const GATEWAY_CONSUME_MODES = ['auto-ack', 'receipts'];

/**
 * Evaluates every goal on the figures of one run, at the sizes given (default: every goal size); a goal stated for
 * sizes that were not run is left out rather than reported n/a.
 */
export function evaluateGoals(t: Throughput[], lat: GatewayLatency | undefined, sizes: number[] = GOAL_SIZES): GoalResult[] {
  const out: GoalResult[] = [];
  const peersRN: SystemKey[] = ['rabbitmq', 'nats'];
  for (const size of sizes.filter((s) => SMALL.includes(s))) {
    out.push(ratioGoal('produce ≥ 1.0× Redis LIST', size, find(t, 'gateway', 'produce', size), best(t, ['redis-list'], 'produce', size), 1.0));
  }
  for (const size of sizes) {
    out.push(ratioGoal('produce ≥ 1.2× best of RabbitMQ/NATS', size, find(t, 'gateway', 'produce', size), best(t, peersRN, 'produce', size), 1.2));
  }
  for (const mode of GATEWAY_CONSUME_MODES) {
    for (const size of sizes) {
      out.push(ratioGoal(`consume ${mode} ≥ 1.2× best of RabbitMQ/NATS`, size, find(t, 'gateway', 'consume', size, mode), best(t, peersRN, 'consume', size), 1.2));
    }
  }
  for (const mode of GATEWAY_CONSUME_MODES) {
    for (const size of sizes.filter((s) => SMALL.includes(s))) {
      out.push(ratioGoal(`consume ${mode} ≥ 0.5× Redis Streams`, size, find(t, 'gateway', 'consume', size, mode), best(t, ['redis-streams'], 'consume', size), 0.5));
    }
  }
  if (lat !== undefined) {
    out.push(latencyGoal('latency p50 ≤ 0.5 ms', lat.p50, 0.5));
    out.push(latencyGoal('latency p99 ≤ 5 ms', lat.p99, 5));
  }
  return out;
}

/** Counts of each verdict. */
export function tally(results: GoalResult[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { PASS: 0, FAIL: 0, 'n/a': 0 };
  for (const r of results) out[r.verdict]++;
  return out;
}

/**
 * The goals as a table: one row per goal, one column per size ("0.57 FAIL"); latency goals as "1.49 ms FAIL".
 * Returns the lines (markdown table), so the same text goes to the terminal and to the README.
 */
/** Body size of the latency scenario. */
export const LATENCY_SIZE = 2 * KiB;

export function goalTable(results: GoalResult[], sizes: number[]): string[] {
  const goals = [...new Set(results.map((r) => r.goal))];
  const lines = [`| goal | ${sizes.map(sizeLabel).join(' | ')} |`, `|---|${sizes.map(() => '---').join('|')}|`];
  for (const g of goals) {
    const rs = results.filter((r) => r.goal === g);
    if (rs.length === 1 && rs[0].size === undefined) {
      const r = rs[0];
      const v = Number.isFinite(r.value) ? `${r.value.toFixed(2)} ms` : '-';
      // Latency is measured with 2 KiB bodies: its figure goes in that column (the first one when it is not shown).
      const at = Math.max(0, sizes.indexOf(LATENCY_SIZE));
      lines.push(`| ${g} | ${sizes.map((_, i) => (i === at ? `${v} ${r.verdict}` : '')).join(' | ')} |`);
      continue;
    }
    const cells = sizes.map((s) => {
      const r = rs.find((x) => x.size === s);
      if (!r) return '';
      return Number.isFinite(r.value) ? `${r.value.toFixed(2)} ${r.verdict}` : 'n/a';
    });
    lines.push(`| ${g} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** The median of some numbers (mean of the middle two for an even count); NaN when there is no finite one. */
export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Per system, phase, mode and size, the median msg/s over several runs (a run that lacks the figure or failed it is
 * left out of that median), so the goals can be judged on medians of runs on a noisy machine.
 */
export function medianThroughput(runs: Throughput[][]): Throughput[] {
  const groups = new Map<string, Throughput[]>();
  for (const run of runs) {
    for (const t of run) {
      const k = `${t.system}|${t.phase}|${t.mode ?? ''}|${t.size}`;
      const g = groups.get(k);
      if (g) g.push(t);
      else groups.set(k, [t]);
    }
  }
  return [...groups.values()].map((g) => ({ ...g[0], msgPerSec: median(g.map((t) => t.msgPerSec)) }));
}
