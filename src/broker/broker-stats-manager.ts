/**
 * BrokerStatsManager: RocketMQ's broker statistics (TOPIC_PUT_NUMS, GROUP_GET_NUMS, ...) with its three rolling
 * windows (minute = 7 snapshots every 10 s, hour = 7 every 10 min, day = 25 every hour; ops notes §4.1). It answers
 * VIEW_BROKER_STATS_DATA, feeds putTps/getTransferedTps in the runtime info, and renders the stats.log lines:
 *   [<NAME>] [<key>] Stats In One Minute, SUM: <n> TPS: <x.xx> AVGPT: <x.xx>
 * Keys: topic (TOPIC_*), `topic@group` (GROUP_*, SNDBCK_*), cluster name (BROKER_*). Pure tables; the snapshot and
 * print timers belong to the controller (StatsLogService). Keys per name are capped (bounded memory).
 */

/** The stats names kept here (RocketMQ's BrokerStatsManager names). */
export const STATS = {
  TOPIC_PUT_NUMS: 'TOPIC_PUT_NUMS',
  TOPIC_PUT_SIZE: 'TOPIC_PUT_SIZE',
  GROUP_GET_NUMS: 'GROUP_GET_NUMS',
  GROUP_GET_SIZE: 'GROUP_GET_SIZE',
  SNDBCK_PUT_NUMS: 'SNDBCK_PUT_NUMS',
  BROKER_PUT_NUMS: 'BROKER_PUT_NUMS',
  BROKER_GET_NUMS: 'BROKER_GET_NUMS',
} as const;
export type StatsName = (typeof STATS)[keyof typeof STATS];

/** One window's figures (BrokerStatsItem in VIEW_BROKER_STATS_DATA). */
export interface StatsSnapshot {
  sum: number;
  tps: number;
  avgpt: number;
}

interface Sample {
  time: number;
  value: number;
  times: number;
}

/** The most keys kept per stats name; later keys are counted under `OTHERS`. */
export const MAX_KEYS_PER_STATS = 5000;

class StatsItem {
  value = 0;
  times = 0;
  readonly minute: Sample[] = [];
  readonly hour: Sample[] = [];
  readonly day: Sample[] = [];

  constructor(now: number) {
    const s = { time: now, value: 0, times: 0 };
    this.minute.push(s);
    this.hour.push(s);
    this.day.push(s);
  }

  add(n: number, times: number): void {
    this.value += n;
    this.times += times;
  }

  sample(list: Sample[], keep: number, now: number): void {
    list.push({ time: now, value: this.value, times: this.times });
    while (list.length > keep) list.shift();
  }
}

/** Figures over a list of snapshots: the sum since the first, per second, and per call. */
function window(list: readonly Sample[], item: StatsItem, now: number): StatsSnapshot {
  const first = list[0];
  // The live totals count as the newest point, so a fresh broker shows its first seconds too.
  const sum = item.value - first.value;
  const times = item.times - first.times;
  const ms = now - first.time;
  return { sum, tps: ms > 0 ? (sum * 1000) / ms : 0, avgpt: times > 0 ? sum / times : 0 };
}

/** Formats a number as Java's `%.2f`. */
const f2 = (n: number): string => n.toFixed(2);

export class BrokerStatsManager {
  private readonly tables = new Map<StatsName, Map<string, StatsItem>>();

  constructor(
    readonly clusterName: string,
    private readonly now: () => number = Date.now,
  ) {
    for (const name of Object.values(STATS)) this.tables.set(name, new Map());
  }

  /** Adds `n` (messages or bytes) in `times` calls under `key`. */
  add(name: StatsName, key: string, n: number, times = 1): void {
    const t = this.tables.get(name)!;
    let item = t.get(key);
    if (!item) {
      if (t.size >= MAX_KEYS_PER_STATS) key = 'OTHERS';
      item = t.get(key);
      if (!item) t.set(key, (item = new StatsItem(this.now())));
    }
    item.add(n, times);
  }

  /** Records a put of `n` messages and `bytes` body bytes to `topic`. */
  recordPut(topic: string, n: number, bytes: number): void {
    if (n > 0) {
      this.add(STATS.TOPIC_PUT_NUMS, topic, n);
      this.add(STATS.BROKER_PUT_NUMS, this.clusterName, n);
    }
    if (bytes > 0) this.add(STATS.TOPIC_PUT_SIZE, topic, bytes);
  }

  /** Records `n` messages (`bytes` bytes) returned to a pull of `group` on `topic`. */
  recordGet(topic: string, group: string, n: number, bytes: number): void {
    this.add(STATS.GROUP_GET_NUMS, `${topic}@${group}`, n);
    this.add(STATS.GROUP_GET_SIZE, `${topic}@${group}`, bytes);
    this.add(STATS.BROKER_GET_NUMS, this.clusterName, n);
  }

  /** Snapshot every 10 s (minute window). */
  sampleMinute(): void {
    const now = this.now();
    for (const t of this.tables.values()) for (const it of t.values()) it.sample(it.minute, 7, now);
  }

  /** Snapshot every 10 min (hour window). */
  sampleHour(): void {
    const now = this.now();
    for (const t of this.tables.values()) for (const it of t.values()) it.sample(it.hour, 7, now);
  }

  /** Snapshot every hour (day window). */
  sampleDay(): void {
    const now = this.now();
    for (const t of this.tables.values()) for (const it of t.values()) it.sample(it.day, 25, now);
  }

  /** The three windows of one key, or undefined when nothing was recorded under it (VIEW_BROKER_STATS_DATA). */
  view(name: string, key: string): { statsMinute: StatsSnapshot; statsHour: StatsSnapshot; statsDay: StatsSnapshot } | undefined {
    const item = this.tables.get(name as StatsName)?.get(key);
    if (!item) return undefined;
    const now = this.now();
    return { statsMinute: window(item.minute, item, now), statsHour: window(item.hour, item, now), statsDay: window(item.day, item, now) };
  }

  /** Messages per second over the last minute, for every key of a name (consume TPS per group). */
  minuteTps(name: StatsName, key: string): number {
    return this.view(name, key)?.statsMinute.tps ?? 0;
  }

  /** Since-start total of a key (the in-process counter). */
  total(name: StatsName, key: string): number {
    return this.tables.get(name)?.get(key)?.value ?? 0;
  }

  /** Keys recorded under a name. */
  keys(name: StatsName): string[] {
    return [...(this.tables.get(name)?.keys() ?? [])];
  }

  /** Drops every key of a topic or group (topic deletion, group deletion): series do not linger. */
  removeMatching(pred: (key: string) => boolean): void {
    for (const t of this.tables.values()) for (const k of [...t.keys()]) if (pred(k)) t.delete(k);
  }

  /** stats.log lines of one window for every key, RocketMQ's format. */
  logLines(win: 'Minute' | 'Hour' | 'Day'): string[] {
    const out: string[] = [];
    const now = this.now();
    for (const [name, t] of this.tables) {
      for (const [key, item] of t) {
        const list = win === 'Minute' ? item.minute : win === 'Hour' ? item.hour : item.day;
        const s = window(list, item, now);
        out.push(`[${name}] [${key}] Stats In One ${win}, SUM: ${s.sum} TPS: ${f2(s.tps)} AVGPT: ${f2(s.avgpt)}`);
      }
    }
    return out;
  }
}

/** A stats.log timestamp: `yyyy-MM-dd HH:mm:ss,SSS` in GMT+8, whatever the host zone (as RocketMQ's logback). */
export function statsLogTime(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMilliseconds(), 3)}`;
}
