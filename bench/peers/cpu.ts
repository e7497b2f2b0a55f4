/**
 * CPU accounting for the peer benchmark: the user + system time of a server process and every process under it (the
 * Erlang VM under the rabbitmq-server script, a Redis AOF-rewrite child), read from /proc/<pid>/stat before and after
 * each phase, and of the benchmark's own client from process.cpuUsage(). Figures are µs of CPU per message.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';

/** The fields of /proc/<pid>/stat the benchmark uses. */
export interface ProcStat {
  pid: number;
  /** The executable's name as the kernel keeps it (at most 15 bytes; may contain spaces and parentheses). */
  comm: string;
  state: string;
  ppid: number;
  /** User and system time in clock ticks (fields 14 and 15, see proc(5)). */
  utime: number;
  stime: number;
  /** User and system time of its children that ended and were waited for (fields 16 and 17). */
  cutime: number;
  cstime: number;
}

/**
 * Parses one /proc/<pid>/stat line. The name (field 2) is in parentheses and may itself contain spaces and ')', so
 * the fields after it are found from the last ')' of the line.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, open).trim());
  // After ") ": field 3 (state) is index 0, so field k is index k - 3.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  if (rest.length < 15 || !Number.isInteger(pid)) throw new Error(`short /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const num = (k: number): number => {
    const v = Number(rest[k - 3]);
    if (!Number.isFinite(v)) throw new Error(`field ${k} of /proc/${pid}/stat is not a number: ${rest[k - 3]}`);
    return v;
  };
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid: num(4), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17) };
}

/** `root` and every process below it in the parent links of `stats` (each pid once, root first). */
export function processTree(root: number, stats: ProcStat[]): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const todo = [root];
  while (todo.length > 0) {
    const p = todo.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Clock ticks per second for /proc times (getconf CLK_TCK; 100 on Linux when getconf is unavailable). */
export const CLK_TCK = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const v = Number((r.stdout ?? '').trim());
  return Number.isInteger(v) && v > 0 ? v : 100;
})();

/** Every process's stat now (processes that end while being read are left out). */
export function readAllStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      out.push(parseProcStat(fs.readFileSync(`/proc/${d}/stat`, 'utf8')));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** A process whose CPU is accounted under a role ("gateway", "broker", "server", ...). */
export interface RolePid {
  role: string;
  pid: number;
  /** Count only this process, not its children (for a process outside the server's tree, e.g. epmd). */
  alone?: boolean;
}

/** CPU ticks per role: the sum of utime + stime + cutime + cstime over each pid's tree. */
export type RoleTicks = Map<string, number>;

/**
 * Sums the CPU ticks per role over the trees of `pids` in `stats` (a pid in two trees is counted once per role). The
 * time of children that ended (cutime + cstime) is included, so the figure never goes down when a child ends between
 * two readings (Redis's AOF-rewrite fork, say): its time moves from its own line to its parent's.
 */
export function ticksByRole(pids: RolePid[], stats: ProcStat[]): RoleTicks {
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out: RoleTicks = new Map();
  const counted = new Map<string, Set<number>>();
  for (const p of pids) {
    const seen = counted.get(p.role) ?? new Set<number>();
    counted.set(p.role, seen);
    if (!out.has(p.role)) out.set(p.role, 0);
    for (const pid of p.alone ? [p.pid] : processTree(p.pid, stats)) {
      const s = byPid.get(pid);
      if (!s || seen.has(pid)) continue;
      seen.add(pid);
      out.set(p.role, (out.get(p.role) as number) + s.utime + s.stime + s.cutime + s.cstime);
    }
  }
  return out;
}

/** µs of CPU per message from two tick counts (`clkTck` ticks per second); NaN when no message was counted. */
export function usPerMsg(ticksBefore: number, ticksAfter: number, msgs: number, clkTck = CLK_TCK): number {
  if (!(msgs > 0)) return NaN;
  return ((ticksAfter - ticksBefore) * 1e6) / clkTck / msgs;
}

/** A phase's CPU: per server role and for the client, in µs per message. */
export interface PhaseCpu {
  servers: Record<string, number>;
  client: number;
}

/** Starts accounting `pids` and this process; `end(msgs)` returns the µs per message of each since `start`. */
export function cpuMeter(pids: RolePid[]): { end(msgs: number): PhaseCpu } {
  const before = ticksByRole(pids, readAllStats());
  const c0 = process.cpuUsage();
  return {
    end(msgs: number): PhaseCpu {
      const c = process.cpuUsage(c0);
      const after = ticksByRole(pids, readAllStats());
      const servers: Record<string, number> = {};
      for (const [role, t] of after) servers[role] = usPerMsg(before.get(role) ?? t, t, msgs);
      return { servers, client: msgs > 0 ? (c.user + c.system) / msgs : NaN };
    },
  };
}
