/**
 * Starts real `mq` processes for component and integration tests, on port 0, and stops them by pid.
 * A process is ready when it prints `<component> ready k=v ...` on stdout; the fields are returned.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const MQ_BIN = path.join(ROOT, 'bin', 'mq');

export interface MqProcess {
  child: ChildProcess;
  fields: Record<string, string>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string | null>;
  /** SIGKILL at once. */
  kill9(): Promise<number | string | null>;
}

const running = new Set<MqProcess>();

export function spawnMq(args: string[], opts: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<MqProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), MQ_BIN, ...args], {
    env: { ...process.env, MQ_LOG_LEVEL: process.env.MQ_LOG_LEVEL ?? 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const proc: MqProcess = {
    child,
    fields: {},
    output: () => out,
    stop: async (graceMs = 10000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(t);
        running.delete(proc);
        return r;
      }
      running.delete(proc);
      return exited;
    },
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      running.delete(proc);
      return exited;
    },
  };
  running.add(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mq ${args.join(' ')} was not ready in time; output:\n${out}`));
    }, opts.readyTimeoutMs ?? 15000);
    let resolved = false;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (resolved) return;
      const m = /^(\S+) ready (.*)$/m.exec(out);
      if (m) {
        resolved = true;
        clearTimeout(timer);
        for (const kv of m[2].trim().split(/\s+/)) {
          const eq = kv.indexOf('=');
          if (eq > 0) proc.fields[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code, signal) => {
      if (!resolved) {
        clearTimeout(timer);
        reject(new Error(`mq ${args.join(' ')} exited (${code ?? signal}) before ready; output:\n${out}`));
      }
    });
  });
}

/** Stops every process started by spawnMq that is still running (for after() hooks). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill9()));
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'mq-test-'): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

let counter = 0;
/** A topic or group name that no other test uses. */
export function uniqueName(prefix = 'T'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}
