/**
 * The frame every `mq admin` command runs in: mqadmin-style flags declared per command (unknown flags refused,
 * `-n` or NAMESRV_ADDR, `--json`, `--help`), output collected and printed only when the command succeeded (a failed
 * command prints nothing on stdout, its error on stderr), progress lines on stderr, and the table/time formats the
 * commands share.
 */
import { MqError } from '../../common';
import { AdminClient } from '../../client/admin';

/** One flag of a command: `-x, --long <arg>`; without `arg` it is a switch. */
export interface Flag {
  short?: string;
  long: string;
  arg?: string;
  desc: string;
  required?: boolean;
}

/** What a command hands back: the JSON value for `--json` and the text lines otherwise. */
export interface Result {
  json: unknown;
  lines: string[];
}

/** What a command may use. */
export interface Ctx {
  /** The admin client (connects to -n / NAMESRV_ADDR on first use). */
  admin(): AdminClient;
  /** A progress line on stderr (long commands). */
  progress(msg: string): void;
  /** Now, ms (commands read the clock through this). */
  now(): number;
}

export interface AdminCommand {
  name: string;
  summary: string;
  /** Usage line after `mq admin <name>`. */
  usage: string;
  flags: Flag[];
  run(ctx: Ctx, o: Record<string, string>): Promise<Result>;
}

/** Flags every command takes. */
export const COMMON_FLAGS: Flag[] = [
  { short: 'n', long: 'namesrvAddr', arg: 'host:port[;host:port]', desc: 'name servers (default: $NAMESRV_ADDR)' },
  { long: 'json', desc: 'print the result as JSON' },
  { short: 'h', long: 'help', desc: 'print this help' },
];

/** Parses argv against a command's flags; throws INVALID_ARGUMENT for unknown flags and missing values. */
export function parseFlags(cmd: AdminCommand, argv: readonly string[]): Record<string, string> {
  const flags = [...cmd.flags, ...COMMON_FLAGS];
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const byLong = new Map(flags.map((f) => [f.long, f]));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let f: Flag | undefined;
    let value: string | undefined;
    let m: RegExpExecArray | null;
    if ((m = /^--([^=]+)(?:=(.*))?$/s.exec(a))) {
      f = byLong.get(m[1]);
      value = m[2];
    } else if ((m = /^-([a-zA-Z])(?:=?(.+))?$/s.exec(a))) {
      f = byShort.get(m[1]);
      value = m[2];
    } else {
      throw new MqError('INVALID_ARGUMENT', `unexpected argument ${JSON.stringify(a)} (see mq admin ${cmd.name} --help)`);
    }
    if (!f) throw new MqError('INVALID_ARGUMENT', `unknown option ${a} for ${cmd.name} (see mq admin ${cmd.name} --help)`);
    if (f.arg === undefined) {
      // Switches accept an explicit value (mqadmin's `-o true`), else mean true.
      if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) value = argv[++i];
      out[f.long] = value ?? 'true';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new MqError('INVALID_ARGUMENT', `option ${a} needs a value <${f.arg}>`);
      value = argv[++i];
    }
    out[f.long] = value;
  }
  if (out.help === 'true') return out;
  for (const f of cmd.flags) {
    if (f.required && (out[f.long] === undefined || out[f.long] === '')) {
      throw new MqError('INVALID_ARGUMENT', `missing ${f.short ? `-${f.short}` : `--${f.long}`} <${f.arg ?? f.long}> (see mq admin ${cmd.name} --help)`);
    }
  }
  return out;
}

/** `--help` text of a command. */
export function helpText(cmd: AdminCommand): string {
  const all = [...cmd.flags, ...COMMON_FLAGS];
  const label = (f: Flag): string => `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.arg ? ` <${f.arg}>` : ''}`;
  const w = Math.max(...all.map((f) => label(f).length)) + 2;
  return [
    `usage: mq admin ${cmd.name} ${cmd.usage}`,
    '',
    cmd.summary,
    '',
    ...all.map((f) => `  ${label(f).padEnd(w)}${f.desc}${f.required ? ' (required)' : ''}`),
  ].join('\n');
}

/** A required value, for flags that are required only in some modes. */
export function need(o: Record<string, string>, key: string, flag: string): string {
  const v = o[key];
  if (v === undefined || v === '' || v === 'true') throw new MqError('INVALID_ARGUMENT', `missing ${flag} <${key}>`);
  return v;
}

/** An integer option within bounds. */
export function intOpt(o: Record<string, string>, key: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new MqError('INVALID_ARGUMENT', `--${key} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** A boolean option (`true`/`false`). */
export function boolOpt(o: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (v !== 'true' && v !== 'false') throw new MqError('INVALID_ARGUMENT', `--${key} must be true or false, got ${JSON.stringify(v)}`);
  return v === 'true';
}

/**
 * A time: epoch ms, `now`, mqadmin's `yyyy-MM-dd#HH:mm:ss:SSS`, or an ISO-8601 date/time (local time when it has
 * no zone).
 */
export function parseTime(v: string, flag: string, now: number): number {
  if (v === 'now') return now;
  if (/^-?\d+$/.test(v)) return Number(v);
  let m = /^(\d{4})-(\d{2})-(\d{2})#(\d{2}):(\d{2}):(\d{2})(?::(\d{3}))?$/.exec(v);
  if (m) return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +(m[7] ?? 0)).getTime();
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(v);
  if (m) return new Date(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? '0').padEnd(3, '0')).getTime();
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t;
  throw new MqError('INVALID_ARGUMENT', `${flag}: cannot read ${JSON.stringify(v)} as a time (ms, now, yyyy-MM-dd#HH:mm:ss:SSS or ISO-8601)`);
}

/** Local midnight of the day `now` falls in. */
export function localMidnight(now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** `yyyy-MM-dd HH:mm:ss,SSS` local time (mqadmin's timeMillisToHumanString2); `N/A` for 0. */
export function humanTime(ms: number): string {
  if (!(ms > 0)) return 'N/A';
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

/** Left-aligned columns of the given widths (the last column is not padded). */
export function row(widths: number[], cells: Array<string | number>): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? String(c) : String(c).padEnd(widths[i])))
    .join('  ')
    .trimEnd();
}

/** The brokers a `-b addr | -c cluster` command targets. */
export async function targets(ctx: Ctx, o: Record<string, string>, mastersOnly = true): Promise<string[]> {
  if (o.brokerAddr !== undefined) return [need(o, 'brokerAddr', '-b')];
  const cluster = need(o, 'clusterName', '-c (or -b)');
  const list = mastersOnly ? await ctx.admin().masters(cluster) : await ctx.admin().brokers(cluster);
  if (list.length === 0) throw new MqError('NOT_FOUND', `cluster ${cluster} has no live ${mastersOnly ? 'master' : 'broker'}`);
  return list.map((b) => b.addr);
}

/** `-b` and `-c` flags of commands that target brokers. */
export const BROKER_OR_CLUSTER: Flag[] = [
  { short: 'b', long: 'brokerAddr', arg: 'host:port', desc: 'one broker' },
  { short: 'c', long: 'clusterName', arg: 'cluster', desc: 'every master of a cluster' },
];
