/**
 * ScheduleMessageService (ref §5.13): delivers messages parked in SCHEDULE_TOPIC_XXXX (queue = level - 1) once
 * `storeTimestamp + levelDelay` has passed, with REAL_TOPIC / REAL_QID restored and DELAY removed. One pass every
 * 100 ms over the levels that have something pending (RocketMQ's per-level timer does the same); progress per level
 * is kept in `config/delayOffset.json` (`{"offsetTable":{<level>:<offset>}}`), written every
 * `flushDelayOffsetInterval` and at shutdown. Only masters run it.
 */
import path from 'path';
import type pino from 'pino';
import { PROP, decodeRecord } from '../common/message';
import { ResponseCode } from '../remoting/codes';
import type { RemotingCommand } from '../remoting/command';
import { parseFastJson } from '../common/fastjson';
import { JsonConfigFile } from '../store/json-config-file';
import type { BrokerStore, MessageInner } from './store-api';
import { SCHEDULE_TOPIC } from './topic-validator';

const TICK_MS = 100;

/** delayOffset.json: delivery progress per delay level (bare integer keys accepted on load). */
type DelayOffsetFile = { offsetTable?: Record<string, number> };
const BATCH = 32;

/** Delivery of delayed messages, per level, with persisted progress. */
export class ScheduleService {
  private readonly offsets = new Map<number, number>();
  /** Atomic writes (tmp + fsync + rename, .bak fallback; ref §5.10), queued so they never overlap. */
  private readonly file: JsonConfigFile<DelayOffsetFile>;
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private busy = false;
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly store: BrokerStore,
    private readonly levels: number[],
    storePathRootDir: string,
    private readonly put: (msg: MessageInner) => Promise<RemotingCommand>,
    private readonly logger: pino.Logger,
  ) {
    this.file = new JsonConfigFile<DelayOffsetFile>(path.join(storePathRootDir, 'config', 'delayOffset.json'), {
      encode: (v) => JSON.stringify(v, null, 2),
      decode: (t) => parseFastJson(t) as DelayOffsetFile,
    });
  }

  /** Loads delayOffset.json or its .bak. */
  async load(): Promise<void> {
    const data = await this.file.load();
    for (const [level, off] of Object.entries(data?.offsetTable ?? {})) this.offsets.set(Number(level), Number(off));
  }

  start(flushIntervalMs: number): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    this.flushTimer = setInterval(() => void this.flush().catch((err: unknown) => this.logger.warn({ err }, 'delayOffset write failed')), flushIntervalMs);
    this.flushTimer.unref();
  }

  /** One delivery pass over every level; public for tests. */
  async tick(now = Date.now()): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      for (let level = 1; level <= this.levels.length; level++) await this.deliverLevel(level, now);
    } catch (err) {
      this.logger.warn({ err }, 'schedule delivery failed');
    } finally {
      this.busy = false;
    }
  }

  private async deliverLevel(level: number, now: number): Promise<void> {
    const queueId = level - 1;
    const delay = this.levels[level - 1];
    let offset = this.offsets.get(level) ?? 0;
    for (;;) {
      if (this.stopped || offset >= this.store.getMaxOffsetInQueue(SCHEDULE_TOPIC, queueId)) return;
      const r = await this.store.getMessage('SCHEDULE_SERVICE', SCHEDULE_TOPIC, queueId, offset, BATCH, 4 * 1024 * 1024);
      if (r.status !== 'FOUND') {
        // Retention removed the head, or nothing usable: move to where the store says reading continues.
        if (r.nextBeginOffset !== offset) this.setOffset(level, r.nextBeginOffset);
        return;
      }
      for (const raw of r.records) {
        const rec = decodeRecord(raw);
        // A delivery time beyond now + delay (clock moved back) counts as due now (ref §5.13).
        const due = Math.min(rec.storeTimestamp + delay, now + delay);
        if (due > now) return;
        const props = { ...rec.properties };
        const topic = props[PROP.REAL_TOPIC];
        const realQid = Number(props[PROP.REAL_QID] ?? 0);
        delete props[PROP.DELAY];
        delete props[PROP.REAL_TOPIC];
        delete props[PROP.REAL_QID];
        if (topic !== undefined) {
          const res = await this.put({
            topic,
            queueId: Number.isInteger(realQid) && realQid >= 0 ? realQid : 0,
            flag: rec.flag,
            body: rec.body,
            properties: props,
            sysFlag: rec.sysFlag,
            bornTimestamp: rec.bornTimestamp,
            bornHost: rec.bornHost,
            storeHost: rec.storeHost,
            reconsumeTimes: rec.reconsumeTimes,
            preparedTransactionOffset: rec.preparedTransactionOffset,
            waitStoreMsgOK: false,
          });
          // Stored, possibly degraded (flush or slave timeout): 0, 10, 11, 12. Anything else was not stored.
          const stored = res.code === ResponseCode.SUCCESS || (res.code >= 10 && res.code <= 12);
          if (!stored) {
            // Not stored (flow control, store trouble): try again on a later tick.
            this.logger.warn({ topic, code: res.code, remark: res.remark }, 'scheduled delivery not stored; will retry');
            return;
          }
        }
        offset = rec.queueOffset + 1;
        this.setOffset(level, offset);
      }
    }
  }

  private setOffset(level: number, offset: number): void {
    this.offsets.set(level, offset);
    this.dirty = true;
  }

  /** Delivery progress per level (GET_ALL_DELAY_OFFSET, runtime info). */
  offsetTable(): Record<number, number> {
    return Object.fromEntries(this.offsets);
  }

  private snapshot(): DelayOffsetFile {
    return { offsetTable: Object.fromEntries([...this.offsets].map(([k, v]) => [String(k), v])) };
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.file.save(this.snapshot());
  }

  /** Stops delivery, waits for a pass under way, and writes progress. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (let i = 0; i < 100 && this.busy; i++) await new Promise((r) => setTimeout(r, 10));
    await this.file.save(this.snapshot());
  }
}
