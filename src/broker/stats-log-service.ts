/**
 * StatsLogService: the timers of {@link BrokerStatsManager} (snapshots every 10 s, 10 min and 1 h), the stats.log
 * writer (minute lines each minute, hour lines each hour, day lines each day; `<time> INFO - <line>`, GMT+8 time as
 * RocketMQ's logback pattern; rolled at 100 MB, 5 files kept), and the midnight snapshot behind msgPutTotalTodayMorning / YesterdayMorning
 * (ops notes §4.3: totals since process start, taken at each broker-local midnight).
 */
import fs from 'fs';
import path from 'path';
import type pino from 'pino';
import { BrokerStatsManager, STATS, statsLogTime } from './broker-stats-manager';

/** stats.log rolls at this size (RocketMQ's logback policy: 100 MB). */
export const STATS_LOG_MAX_BYTES = 100 * 1024 * 1024;
/** Rolled files kept (stats.log.1 .. stats.log.5). */
export const STATS_LOG_KEEP = 5;

/** Put and get totals at the last two local midnights (since-start counters). */
export interface DayTotals {
  putYesterdayMorning: number;
  putTodayMorning: number;
  getYesterdayMorning: number;
  getTodayMorning: number;
}

export class StatsLogService {
  private timers: NodeJS.Timeout[] = [];
  private ticks = 0;
  private readonly totals: DayTotals = { putYesterdayMorning: 0, putTodayMorning: 0, getYesterdayMorning: 0, getTodayMorning: 0 };
  private day = new Date().toDateString();
  private writing: Promise<void> = Promise.resolve();
  /** Broker put/get totals every 10 s, 10 minutes kept (putTps / getTransferedTps over 10 s, 1 min, 10 min). */
  private readonly ring: Array<{ time: number; put: number; get: number }> = [];

  /** `file` = '' writes no stats.log (the statistics are still kept). */
  constructor(
    readonly stats: BrokerStatsManager,
    private readonly file: string,
    private readonly logger: pino.Logger,
    /** Roll size (tests use a small one). */
    private readonly maxBytes = STATS_LOG_MAX_BYTES,
  ) {}

  start(): void {
    this.ring.push(this.totalsNow());
    if (this.file) fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // One 10 s tick drives every window: 6 ticks = a minute line, 60 = an hour snapshot, 360 = an hour line.
    const t = setInterval(() => this.tick(), 10_000);
    t.unref();
    this.timers.push(t);
  }

  private totalsNow(): { time: number; put: number; get: number } {
    const c = this.stats.clusterName;
    return { time: Date.now(), put: this.stats.total(STATS.BROKER_PUT_NUMS, c), get: this.stats.total(STATS.BROKER_GET_NUMS, c) };
  }

  /** Messages per second put (or returned to pulls) over the last `seconds` (as far back as samples go). */
  tps(kind: 'put' | 'get', seconds: number): number {
    const now = this.totalsNow();
    const from = this.ring.find((r) => r.time >= now.time - seconds * 1000 - 1000) ?? this.ring[0];
    if (!from || now.time <= from.time) return 0;
    return ((now[kind] - from[kind]) * 1000) / (now.time - from.time);
  }

  private tick(): void {
    this.ticks++;
    this.ring.push(this.totalsNow());
    while (this.ring.length > 61) this.ring.shift();
    this.stats.sampleMinute();
    if (this.ticks % 60 === 0) this.stats.sampleHour();
    if (this.ticks % 360 === 0) this.stats.sampleDay();
    if (this.ticks % 6 === 0) this.write(this.stats.logLines('Minute'));
    if (this.ticks % 360 === 0) this.write(this.stats.logLines('Hour'));
    const today = new Date().toDateString();
    if (today !== this.day) {
      this.day = today;
      this.write(this.stats.logLines('Day'));
      this.midnight();
    }
  }

  /** Copies today's morning totals to yesterday's and snapshots the counters (RocketMQ's BrokerStats.record). */
  midnight(): void {
    const c = this.stats.clusterName;
    this.totals.putYesterdayMorning = this.totals.putTodayMorning;
    this.totals.getYesterdayMorning = this.totals.getTodayMorning;
    this.totals.putTodayMorning = this.stats.total(STATS.BROKER_PUT_NUMS, c);
    this.totals.getTodayMorning = this.stats.total(STATS.BROKER_GET_NUMS, c);
  }

  dayTotals(): Readonly<DayTotals> {
    return this.totals;
  }

  /** Appends lines now (also used at shutdown and by tests). */
  write(lines: string[]): void {
    if (!this.file || lines.length === 0) return;
    const stamp = statsLogTime(Date.now());
    const text = lines.map((l) => `${stamp} INFO - ${l}\n`).join('');
    this.writing = this.writing.then(async () => {
      try {
        await this.rollIfFull();
        await fs.promises.appendFile(this.file, text);
      } catch (err) {
        this.logger.warn({ err, file: this.file }, 'stats.log write failed');
      }
    });
  }

  /** Past `maxBytes`: stats.log → stats.log.1 → … → stats.log.5 (the oldest is dropped), as RocketMQ rolls. */
  private async rollIfFull(): Promise<void> {
    const size = await fs.promises.stat(this.file).then((s) => s.size, () => 0);
    if (size < this.maxBytes) return;
    for (let i = STATS_LOG_KEEP - 1; i >= 1; i--) await fs.promises.rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
    await fs.promises.rename(this.file, `${this.file}.1`);
  }

  /** Resolves when every line handed to {@link write} so far is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  /** Writes the minute lines once more and stops the timers. */
  async shutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stats.sampleMinute();
    this.write(this.stats.logLines('Minute'));
    await this.writing;
  }
}
