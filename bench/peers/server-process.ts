/**
 * A peer's server as a child process of the benchmark: started with its own temp dir in a process group of its own
 * (rabbitmq-server is a shell script that runs the Erlang VM as its child), stopped by pid with SIGTERM (the script
 * forwards it), then SIGKILL to that group after a grace period. Anything still running when the benchmark exits is
 * killed the same way, by the group of the pid we started.
 */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';

/** A started server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr (the last 64 KiB). */
  output(): string;
  /** True once it exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();

/** SIGKILL to the process group led by the child we started (it and the processes it forked, nothing else). */
function killGroup(c: ChildProcess): void {
  if (c.pid === undefined) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  // A crash or an interrupt of the benchmark must not leave servers behind.
  for (const c of live) killGroup(c);
});

/** True when `cmd` can be run (found on PATH or as an absolute path). */
export function installed(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
}

/** The first line `cmd args` prints (for versions), or '' when it cannot run. */
export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}

/** Starts `cmd args` with the extra environment; output is kept for error messages. */
export function startServer(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): ServerProcess {
  // detached: a process group of its own, so that the Erlang VM under the rabbitmq-server script can be killed with it.
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-65536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => out,
    exited,
    stop: async (graceMs = 15000) => {
      if (!exited() && child.pid !== undefined) {
        child.kill('SIGTERM');
        const t = setTimeout(() => killGroup(child), graceMs);
        await done;
        clearTimeout(t);
      }
      live.delete(child);
    },
  };
}
