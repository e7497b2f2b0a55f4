/**
 * Measuring loops and table printing for the peer benchmark. Every loop is bounded by a message count and a time
 * budget; figures are absolute, with ratios of ours against each peer printed in the same table.
 */
import net from 'net';
import { sleep } from '../../src/common';
import type { OursKind } from './types';

/** A TCP port that was free a moment ago (re-exported for the peer systems). */
export { freePort } from '../../src/common';

/** Resolves once 127.0.0.1:port accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 10000 && Date.now() < until; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** The p-th percentile of an ascending array (nearest rank). */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Result of a throughput phase. */
export interface Rate {
  msgs: number;
  perSec: number;
  /** Set when the phase failed; the figure is then absent. */
  error?: string;
}

/**
 * Runs `one(lane)` on `lanes` concurrent loops until `budgetMs` passed or `maxMsgs` messages were counted; each call
 * returns how many messages it completed. The first error stops the phase and is returned, not thrown.
 */
export async function rate(lanes: number, budgetMs: number, maxMsgs: number, one: (lane: number) => Promise<number>): Promise<Rate> {
  const started = Date.now();
  const until = started + budgetMs;
  let n = 0;
  let error: string | undefined;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (error === undefined && Date.now() < until && n < maxMsgs) {
        try {
          // Not `n += await ...`: that would read n before the await and lose the other lanes' counts.
          const k = await one(lane);
          n += k;
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const secs = (Date.now() - started) / 1000;
  return { msgs: n, perSec: n / secs, error };
}

/** A row of a result table: a system, its durability class and its figure (NaN when not measured). */
export interface Row {
  name: string;
  durability: string;
  /** Set for our systems: the table gets a ratio column headed with this. */
  ours?: OursKind;
  value: number;
  /** Second figure printed after the first (e.g. MB/s next to msg/s), optional. */
  extra?: string;
  note?: string;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);
}

/**
 * Prints one scenario's table: absolute figures and, for every row, each of ours divided by that row (one column per
 * row that has `ours`). For rates a ratio above 1 means ours is faster; for latencies (`lowerIsBetter`) the ratio is
 * peer / ours, so above 1 again means ours is better.
 */
export function printTable(title: string, unit: string, rows: Row[], lowerIsBetter = false): void {
  const ours = rows.filter((r) => r.ours !== undefined);
  const ratio = (o: number, peer: number): string => {
    if (!Number.isFinite(o) || !Number.isFinite(peer) || o === 0 || peer === 0) return '-';
    return `x${(lowerIsBetter ? peer / o : o / peer).toFixed(2)}`;
  };
  console.log(`\n## ${title}`);
  console.log(`   (${unit}; ratio columns: ${lowerIsBetter ? 'peer / ours' : 'ours / peer'}, above 1 = ours better)`);
  const cols = ours.map((o) => (o.ours as string).padStart(9)).join('');
  console.log(`${'system'.padEnd(30)} ${'durability class'.padEnd(38)} ${unit.padStart(9)} ${''.padEnd(13)}${cols}`);
  for (const r of rows) {
    const ratios = ours.map((o) => ratio(o.value, r.value).padStart(9)).join('');
    const line = `${r.name.padEnd(30)} ${r.durability.padEnd(38)} ${fmt(r.value).padStart(9)} ${(r.extra ?? '').padEnd(13)}${ratios}`;
    console.log(r.note ? `${line}  ${r.note}` : line);
  }
}
