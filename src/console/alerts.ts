/**
 * Backlog alerts: thresholds per group (optionally narrowed to one queue: topic, brokerName, queueId) on the
 * backlog count and on the age of the oldest unconsumed message. Stored in `<dataDir>/alerts.json` (written to a
 * temporary file, then renamed), evaluated every few seconds by the console, and exported as Prometheus rules over
 * the brokers' own series (mq_broker_consumer_lag, mq_broker_consumer_lag_seconds).
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { MqError } from '../common';
import type { LagRow } from './api';

export interface Threshold {
  id: string;
  group: string;
  /** Narrow to one queue (all three set) or one topic; empty = the whole group. */
  topic?: string;
  brokerName?: string;
  queueId?: number;
  /** Fires when the backlog exceeds this many messages. */
  maxCount?: number;
  /** Fires when the oldest unconsumed message is older than this, s. */
  maxAgeSeconds?: number;
  /** Prometheus `for:` duration, s (how long the condition must hold). */
  forSeconds?: number;
}

export interface AlertState {
  threshold: Threshold;
  firing: boolean;
  count: number;
  ageSeconds: number;
  reasons: string[];
  since?: number;
  checkedAt?: number;
  error?: string;
}

const NAME = /^[%|a-zA-Z0-9_-]{1,255}$/;

/** Checks and normalizes a threshold from the API (unknown fields rejected). */
export function validateThreshold(input: Record<string, unknown>, id?: string): Threshold {
  const known = new Set(['id', 'group', 'topic', 'brokerName', 'queueId', 'maxCount', 'maxAgeSeconds', 'forSeconds']);
  for (const k of Object.keys(input)) if (!known.has(k)) throw new MqError('INVALID_ARGUMENT', `threshold: unknown field ${k}`);
  const str = (k: string): string | undefined => {
    const v = input[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' || !NAME.test(v)) throw new MqError('INVALID_ARGUMENT', `threshold: ${k} must be 1..255 characters of [%|a-zA-Z0-9_-]`);
    return v;
  };
  const int = (k: string, min: number): number | undefined => {
    const v = input[k];
    if (v === undefined || v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new MqError('INVALID_ARGUMENT', `threshold: ${k} must be an integer >= ${min}`);
    return n;
  };
  const group = str('group');
  if (!group) throw new MqError('INVALID_ARGUMENT', 'threshold: group is required');
  const t: Threshold = { id: id ?? crypto.randomBytes(6).toString('hex'), group };
  const topic = str('topic');
  const brokerName = str('brokerName');
  const queueId = int('queueId', 0);
  if ((brokerName !== undefined || queueId !== undefined) && (topic === undefined || brokerName === undefined || queueId === undefined)) {
    throw new MqError('INVALID_ARGUMENT', 'threshold: a per-queue threshold needs topic, brokerName and queueId');
  }
  if (topic !== undefined) t.topic = topic;
  if (brokerName !== undefined) t.brokerName = brokerName;
  if (queueId !== undefined) t.queueId = queueId;
  const maxCount = int('maxCount', 0);
  const maxAgeSeconds = int('maxAgeSeconds', 0);
  const forSeconds = int('forSeconds', 0);
  if (maxCount === undefined && maxAgeSeconds === undefined) throw new MqError('INVALID_ARGUMENT', 'threshold: give maxCount, maxAgeSeconds or both');
  if (maxCount !== undefined) t.maxCount = maxCount;
  if (maxAgeSeconds !== undefined) t.maxAgeSeconds = maxAgeSeconds;
  if (forSeconds !== undefined) t.forSeconds = forSeconds;
  return t;
}

/** The rows of a group's lag a threshold looks at. */
export function rowsOf(t: Threshold, rows: readonly LagRow[]): LagRow[] {
  return rows.filter(
    (r) =>
      !r.topic.startsWith('%RETRY%') &&
      (t.topic === undefined || r.topic === t.topic) &&
      (t.brokerName === undefined || r.brokerName === t.brokerName) &&
      (t.queueId === undefined || r.queueId === t.queueId),
  );
}

/** Evaluates one threshold against a group's lag rows. */
export function evaluate(t: Threshold, rows: readonly LagRow[], now: number, previous?: AlertState): AlertState {
  const mine = rowsOf(t, rows);
  const count = mine.reduce((s, r) => s + r.lag, 0);
  const ageSeconds = mine.reduce((s, r) => Math.max(s, r.ageSeconds), 0);
  const reasons: string[] = [];
  if (t.maxCount !== undefined && count > t.maxCount) reasons.push(`backlog ${count} > ${t.maxCount}`);
  if (t.maxAgeSeconds !== undefined && ageSeconds > t.maxAgeSeconds) reasons.push(`oldest ${ageSeconds}s > ${t.maxAgeSeconds}s`);
  const firing = reasons.length > 0;
  return { threshold: t, firing, count, ageSeconds, reasons, since: firing ? (previous?.firing ? previous.since : now) : undefined, checkedAt: now };
}

/** A YAML single-quoted scalar (only ' needs doubling): PromQL's double quotes stay readable. */
const yq = (v: string): string => `'${v.replace(/'/g, "''")}'`;

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function selector(t: Threshold): string {
  const l = [`group="${esc(t.group)}"`];
  if (t.topic !== undefined) l.push(`topic="${esc(t.topic)}"`);
  else l.push('topic!~"%RETRY%.*"');
  if (t.brokerName !== undefined) l.push(`brokerName="${esc(t.brokerName)}"`);
  if (t.queueId !== undefined) l.push(`queueId="${t.queueId}"`);
  return `{${l.join(',')}}`;
}

/** The thresholds as a Prometheus rules file (YAML). */
export function prometheusRules(thresholds: readonly Threshold[]): string {
  const lines = ['groups:', '  - name: mq-console-backlog', '    rules:'];
  if (thresholds.length === 0) return 'groups: []\n';
  for (const t of thresholds) {
    const scope = t.queueId !== undefined ? 'Queue' : 'Group';
    const labels: Array<[string, string]> = [['severity', 'warning'], ['group', t.group], ['threshold_id', t.id]];
    const forLine = `      for: ${t.forSeconds ?? 60}s`;
    const by = t.queueId !== undefined ? 'group, topic, brokerName, queueId' : t.topic !== undefined ? 'group, topic' : 'group';
    const rule = (alert: string, expr: string, summary: string): void => {
      lines.push(`      - alert: ${alert}`, `        expr: ${yq(expr)}`, forLine.replace(/^ {6}/, '        '), '        labels:');
      for (const [k, v] of labels) lines.push(`          ${k}: ${yq(v)}`);
      lines.push('        annotations:', `          summary: ${yq(summary)}`);
    };
    if (t.maxCount !== undefined) {
      rule(`MqConsumer${scope}Backlog`, `sum by (${by}) (mq_broker_consumer_lag${selector(t)}) > ${t.maxCount}`, `backlog of ${t.group} above ${t.maxCount} messages ({{ $value }})`);
    }
    if (t.maxAgeSeconds !== undefined) {
      rule(`MqConsumer${scope}BacklogAge`, `max by (${by}) (mq_broker_consumer_lag_seconds${selector(t)}) > ${t.maxAgeSeconds}`, `oldest unconsumed message of ${t.group} older than ${t.maxAgeSeconds}s ({{ $value }}s)`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The thresholds file. */
export class AlertStore {
  private readonly file: string;
  private list: Threshold[] = [];

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'alerts.json');
    fs.mkdirSync(dataDir, { recursive: true });
    if (fs.existsSync(this.file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      } catch (err) {
        throw new MqError('INVALID_OPTION', `console: ${this.file} is not valid JSON: ${(err as Error).message}`);
      }
      const arr = (parsed as { thresholds?: unknown }).thresholds;
      if (!Array.isArray(arr)) throw new MqError('INVALID_OPTION', `console: ${this.file} has no thresholds array`);
      this.list = arr.map((t: Record<string, unknown>) => validateThreshold(t, typeof t.id === 'string' ? t.id : undefined));
    }
  }

  all(): Threshold[] {
    return [...this.list];
  }

  put(input: Record<string, unknown>, id?: string): Threshold {
    const t = validateThreshold(input, id);
    const i = this.list.findIndex((x) => x.id === t.id);
    if (id !== undefined && i < 0) throw new MqError('NOT_FOUND', `no threshold ${id}`);
    if (i >= 0) this.list[i] = t;
    else this.list.push(t);
    this.save();
    return t;
  }

  remove(id: string): void {
    const before = this.list.length;
    this.list = this.list.filter((t) => t.id !== id);
    if (this.list.length === before) throw new MqError('NOT_FOUND', `no threshold ${id}`);
    this.save();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ thresholds: this.list }, null, 2) + '\n');
    fs.renameSync(tmp, this.file);
  }
}
