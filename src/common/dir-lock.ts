/**
 * An exclusive lock on a directory for the life of a process: one writer per store directory (RocketMQ keeps a
 * `lock` file in storePathRootDir and holds a FileLock on it).
 *
 * Node has no flock(2) in core, so the lock is made of two parts:
 *
 * 1. **The authority (Linux):** a listening Unix socket in the abstract namespace, named after a hash of the
 *    directory's real path (`\0mq-dirlock-<sha256>`). Binding it is atomic, and the kernel releases it the moment
 *    the holder dies, even on SIGKILL: no stale lock, no pid-reuse question, nothing to clean up. A second process
 *    gets EADDRINUSE, connects to the socket and is told the holder's pid, which goes into the error message.
 * 2. **The `lock` file:** `<dir>/lock` holds `pid=…`, `host=…`, `started=…` (the holder's start time, so that a
 *    reused pid is not mistaken for the holder). It is what an operator reads, and it guards the cases the socket
 *    cannot see: a second process in another network namespace, or (without abstract sockets, off Linux) any second
 *    process. A lock file naming a live process on this host that is not us refuses the lock; one naming a dead
 *    process (or a reused pid) is stale and taken over.
 *
 * The file is created with O_EXCL when absent, so two processes that start together off Linux cannot both win.
 */
import crypto from 'crypto';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { MqError } from './errors';

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Process start time as the kernel reports it (Linux: /proc/<pid>/stat field 22), '' when unknown. */
  started: string;
}

/** A held lock; release() is idempotent and also runs at process exit. */
export interface DirLock {
  readonly dir: string;
  readonly file: string;
  release(): void;
}

/** The start time of a process (clock ticks since boot on Linux), '' when it cannot be read. */
export function processStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock file's text; undefined when it names no pid (e.g. an empty RocketMQ `lock` file). */
export function parseLockFile(text: string): LockHolder | undefined {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  const pid = Number(kv.pid);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, host: kv.host ?? '', started: kv.started ?? '' };
}

/** True when the holder a lock file names is a live process on this host (and not a reused pid). */
function holderAlive(h: LockHolder): boolean {
  if (h.host !== '' && h.host !== os.hostname()) return true; // cannot check another host: assume it holds it
  if (!pidAlive(h.pid)) return false;
  if (h.started === '') return true;
  const now = processStartTime(h.pid);
  return now === '' || now === h.started;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return parseLockFile(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function refuse(what: string, dir: string, file: string, pid: number | undefined, how: string): MqError {
  const who = pid === undefined ? 'another process' : `process ${pid}`;
  return new MqError(
    'UNAVAILABLE',
    `${what}: ${dir} is locked by ${who} (${how}; lock file ${file}); ` +
      'only one process may write a store directory: stop the other process or choose another directory',
    { details: { dir, holderPid: pid }, retriable: false },
  );
}

/** Asks the holder of an abstract lock socket for its pid (it answers `pid=<n>\n`); undefined on no answer. */
function askHolderPid(sockName: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect({ path: sockName });
    const done = (v: number | undefined): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), timeoutMs);
    s.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /pid=(\d+)/.exec(text);
      if (m) done(Number(m[1]));
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}

function listenAbstract(sockName: string): Promise<net.Server | 'in-use'> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => {
      c.on('error', () => undefined);
      c.end(`pid=${process.pid}\n`);
    });
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve('in-use') : reject(err)));
    server.listen({ path: sockName }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      server.unref();
      resolve(server);
    });
  });
}

/** Locks held by this process (socket name or file), so that a re-acquire after a release is told from a double open. */
const heldHere = new Set<string>();

/** Writes the lock file: O_EXCL when absent; a stale file (dead holder or none named) is replaced. */
function writeLockFile(what: string, dir: string, file: string, holdsAuthority: boolean): void {
  const text = `pid=${process.pid}\nhost=${os.hostname()}\nstarted=${processStartTime(process.pid)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const h = readHolder(file);
    if (h && h.pid !== process.pid && holderAlive(h)) {
      throw refuse(what, dir, file, h.pid, h.host !== os.hostname() ? `lock file names host ${h.host}` : 'lock file');
    }
    if (holdsAuthority) {
      // We hold the kernel lock: whatever the file says is stale. Overwrite in place.
      fs.writeFileSync(file, text);
      return;
    }
    // Stale (dead holder, reused pid, or an empty RocketMQ lock file): remove it and race for O_EXCL again.
    try {
      fs.unlinkSync(file);
    } catch {
      // someone else removed it first
    }
  }
  throw refuse(what, dir, file, readHolder(file)?.pid, 'lock file changed while being taken over');
}

/**
 * Takes the exclusive lock on `dir` (created if missing) or throws MqError UNAVAILABLE naming the holder's pid.
 * @param what who asks, for the message (e.g. `broker broker-a`).
 */
export async function acquireDirLock(dir: string, what: string, fileName = 'lock'): Promise<DirLock> {
  fs.mkdirSync(dir, { recursive: true });
  const real = fs.realpathSync(dir);
  const file = path.join(real, fileName);
  let server: net.Server | undefined;
  if (process.platform === 'linux') {
    const hash = crypto.createHash('sha256').update(`${real}\0${fileName}`).digest('hex').slice(0, 40);
    const sockName = `\0mq-dirlock-${hash}`;
    let r = await listenAbstract(sockName);
    // Released by this very process a moment ago (a restart in-process): the socket closes asynchronously.
    for (let i = 0; r === 'in-use' && !heldHere.has(file) && i < 40; i++) {
      const pid = await askHolderPid(sockName, 200);
      if (pid !== undefined && pid !== process.pid) break;
      await new Promise((res) => setTimeout(res, 25));
      r = await listenAbstract(sockName);
    }
    if (r === 'in-use') {
      const pid = (await askHolderPid(sockName)) ?? readHolder(file)?.pid;
      throw refuse(what, real, file, pid, 'held for the life of that process');
    }
    server = r;
  }
  try {
    writeLockFile(what, real, file, server !== undefined);
  } catch (err) {
    server?.close();
    throw err;
  }
  heldHere.add(file);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.off('exit', release);
    // Remove the file only while it still names us.
    if (readHolder(file)?.pid === process.pid) {
      try {
        fs.unlinkSync(file);
      } catch {
        // already gone
      }
    }
    server?.close();
  };
  process.on('exit', release);
  return { dir: real, file, release };
}
