/**
 * Preloaded into the bench's server processes (`node --require <this file>`): keeps an event-loop delay histogram
 * (perf_hooks.monitorEventLoopDelay) and the GC pauses of the process. On SIGUSR2 it writes what it saw since the
 * previous SIGUSR2 to `<BENCH_LOOP_PROBE_DIR>/<pid>.json` and starts over, so the bench can tell a latency tail made
 * inside a process (a long task, a GC pause) from one made by the machine (every process, even an idle one, late).
 */
import fs from 'fs';
import path from 'path';
import { PerformanceObserver, monitorEventLoopDelay } from 'perf_hooks';

/** Sampling interval of the delay histogram, ms (its samples are intervals: the lateness is a sample minus this). */
const RESOLUTION_MS = 10;

export interface LoopProbeReport {
  pid: number;
  /** How late the event loop ran a due timer: percentiles and maximum over the window, ms. */
  p50: number;
  p99: number;
  max: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

const dir = process.env.BENCH_LOOP_PROBE_DIR;
if (dir) {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let gc = { count: 0, total: 0, max: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.total += e.duration;
      if (e.duration > gc.max) gc.max = e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const report: LoopProbeReport = {
      pid: process.pid,
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      gcCount: gc.count,
      gcTotalMs: gc.total,
      gcMaxMs: gc.max,
    };
    h.reset();
    gc = { count: 0, total: 0, max: 0 };
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
    fs.renameSync(`${file}.tmp`, file);
  });
}
