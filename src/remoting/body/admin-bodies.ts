/**
 * Admin response bodies whose maps are keyed by a MessageQueue (TopicStatsTable, ConsumeStats, ResetOffsetBody) and
 * the other admin bodies (ConsumerConnection, BrokerStatsData, SubscriptionGroupWrapper), as fastjson writes them.
 *
 * fastjson writes a map with object keys as an object whose member names are objects themselves:
 *   table    := '{' (entry (',' entry)*)? '}'
 *   entry    := mqKey ':' value
 *   mqKey    := '{"brokerName":' string ',"queueId":' int ',"topic":' string '}'     (fields in name order)
 * e.g. TopicStatsTable: {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":1,
 * "maxOffset":5,"minOffset":0}}}. Java's parser reads that form back; standard JSON parsers reject it, so
 * {@link parseAdminJson} accepts it and turns every non-string member name into its canonical JSON text.
 * Pure: no I/O.
 */

/** A MessageQueue as RocketMQ names one (the key of the tables here). */
export interface MqKey {
  brokerName: string;
  queueId: number;
  topic: string;
}

/** TopicOffset (GET_TOPIC_STATS_INFO, 202). */
export interface TopicOffset {
  minOffset: number;
  maxOffset: number;
  /** Store time of the last message of the queue, 0 when it is empty. */
  lastUpdateTimestamp: number;
}

/** OffsetWrapper (GET_CONSUME_STATS, 208). */
export interface OffsetWrapper {
  brokerOffset: number;
  consumerOffset: number;
  /** Store time of the last consumed message, 0 when none was consumed. */
  lastTimestamp: number;
}

/** Encodes a MessageQueue the way fastjson writes it as a map key. */
export function mqKeyJson(mq: MqKey): string {
  return `{"brokerName":${JSON.stringify(mq.brokerName)},"queueId":${mq.queueId},"topic":${JSON.stringify(mq.topic)}}`;
}

/** `{<mqKey>:<value>,...}` for a table keyed by MessageQueue. */
export function encodeMqTable<V>(rows: ReadonlyArray<[MqKey, V]>): string {
  return `{${rows.map(([k, v]) => `${mqKeyJson(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

/** TopicStatsTable body. */
export function encodeTopicStatsTable(rows: ReadonlyArray<[MqKey, TopicOffset]>): Buffer {
  return Buffer.from(`{"offsetTable":${encodeMqTable(rows.map(([k, v]) => [k, { lastUpdateTimestamp: v.lastUpdateTimestamp, maxOffset: v.maxOffset, minOffset: v.minOffset }]))}}`, 'utf8');
}

/** ConsumeStats body. */
export function encodeConsumeStats(consumeTps: number, rows: ReadonlyArray<[MqKey, OffsetWrapper]>): Buffer {
  const table = encodeMqTable(rows.map(([k, v]) => [k, { brokerOffset: v.brokerOffset, consumerOffset: v.consumerOffset, lastTimestamp: v.lastTimestamp }]));
  return Buffer.from(`{"consumeTps":${Number.isFinite(consumeTps) ? consumeTps : 0},"offsetTable":${table}}`, 'utf8');
}

/** ResetOffsetBody (INVOKE_BROKER_TO_RESET_OFFSET answer, RESET_CONSUMER_CLIENT_OFFSET request). */
export function encodeResetOffsetBody(rows: ReadonlyArray<[MqKey, number]>): Buffer {
  return Buffer.from(`{"offsetTable":${encodeMqTable(rows)}}`, 'utf8');
}

/** Rows of a MessageQueue-keyed table read by {@link parseAdminJson}; keys that are not MessageQueues are skipped. */
export function mqRows<V>(table: unknown): Array<[MqKey, V]> {
  const out: Array<[MqKey, V]> = [];
  if (!table || typeof table !== 'object') return out;
  for (const [k, v] of Object.entries(table as Record<string, unknown>)) {
    let key: unknown;
    try {
      key = JSON.parse(k);
    } catch {
      continue;
    }
    const mq = key as Partial<MqKey>;
    if (mq && typeof mq.topic === 'string' && typeof mq.brokerName === 'string' && typeof mq.queueId === 'number') {
      out.push([{ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic }, v as V]);
    }
  }
  return out.sort((a, b) => a[0].topic.localeCompare(b[0].topic) || a[0].brokerName.localeCompare(b[0].brokerName) || a[0].queueId - b[0].queueId);
}

/** Thrown by {@link parseAdminJson} on malformed text (position in the message). */
export class AdminJsonError extends Error {}

/**
 * Parses standard JSON plus fastjson's non-string member names (integers, objects, arrays, literals). A non-string
 * name becomes its canonical JSON text (object members in the order written), so `{{"a":1}:2}` gives
 * `{'{"a":1}': 2}`. Numbers are JS numbers.
 */
export function parseAdminJson(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new AdminJsonError(`bad admin JSON at ${i}: ${what}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        const k = value();
        const name = typeof k === 'string' ? k : JSON.stringify(k);
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        obj[name] = value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected , or ]');
      }
    }
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) fail('unterminated string');
      i++;
      return JSON.parse(text.slice(start, i)) as string;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 40));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return JSON.parse(m[0]) as unknown;
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
