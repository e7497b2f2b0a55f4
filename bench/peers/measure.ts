/**
 * Measuring loops of the peer benchmark. Every loop is bounded by a message count and a time budget.
 */
import net from 'net';
import { sleep } from '../../src/common';

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

/**
 * The p-th percentile (0 < p <= 100) of an ascending array by the nearest-rank method: the smallest value with at
 * least p % of the values at or below it. NaN for an empty array.
 */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], not ${p}`);
  // p * n first: exact for integer p (0.99 * n may land just above an integer and round one rank up).
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
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
