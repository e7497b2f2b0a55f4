/**
 * `node dist/bench/peers/combine <run.json> ...`: the goals of bench/peers judged on the medians of several runs
 * (each written with `--json`): msg/s per system, phase and size, and the gateway's latency p50 / p99, each the median
 * over the runs; prints the goal table (markdown) and each run's load average.
 */
import fs from 'fs';
import { evaluateGoals, goalTable, median, medianThroughput, sizeLabel, tally } from './goals';
import type { SystemKey, Throughput } from './goals';

interface RunFile {
  started: string;
  loadStart: string;
  loadEnd: string;
  /** Rows as index.ts writes them: `key` is the system the goals name (`system` is the printed name). */
  throughput: Array<Omit<Throughput, 'system'> & { key: SystemKey }>;
  latency: Array<{ key: SystemKey; e2eP50: number; e2eP99: number }>;
}

function main(files: string[]): number {
  if (files.length === 0 || files.includes('--help')) {
    console.log('usage: node dist/bench/peers/combine <run.json> ... (files written by bench/peers --json)');
    return files.length === 0 ? 2 : 0;
  }
  const runs: RunFile[] = files.map((f) => {
    const r = JSON.parse(fs.readFileSync(f, 'utf8')) as RunFile;
    if (!Array.isArray(r.throughput) || !Array.isArray(r.latency)) throw new Error(`${f} is not a bench/peers --json file`);
    return r;
  });
  const t = medianThroughput(runs.map((r) => r.throughput.map((x) => ({ system: x.key, phase: x.phase, mode: x.mode, size: x.size, msgPerSec: x.msgPerSec ?? NaN }))));
  const sizes = [...new Set(t.map((x) => x.size))].sort((a, b) => a - b);
  const gw = runs.map((r) => r.latency.find((l) => l.key === 'gateway'));
  const lat = runs.some((r) => r.latency.length > 0) ? { p50: median(gw.map((l) => l?.e2eP50 ?? NaN)), p99: median(gw.map((l) => l?.e2eP99 ?? NaN)) } : undefined;
  const goals = evaluateGoals(t, lat, sizes);
  const n = tally(goals);
  console.log(`goals on the medians of ${runs.length} run(s) (sizes ${sizes.map(sizeLabel).join(', ')}): ${n.PASS} PASS, ${n.FAIL} FAIL, ${n['n/a']} n/a`);
  for (const r of runs) console.log(`  run ${r.started}: load average ${r.loadStart} at start, ${r.loadEnd} at end`);
  for (const line of goalTable(goals, sizes)) console.log(line);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`combine: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
