/** Polling for the tests: a condition checked every `everyMs` until it holds or `ms` passed. */
import { sleep } from '../../src/common';

/**
 * Resolves once `check` resolves true; a check that throws counts as false (a process still starting, a port not
 * open yet). Rejects with "timed out after <ms> ms waiting for <what>".
 */
export async function until(check: () => Promise<boolean>, ms: number, what: string, everyMs = 200): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
