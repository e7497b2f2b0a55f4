/**
 * One fixed-size segment file of the commit log or of a consume queue (ref §5.1): named by its 20-digit start
 * offset, created at its full size (sparse), written with positional writes on its fd. No mmap: reads use
 * fs.read/fs.readSync, which hit the page cache for recent data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MqError } from '../common';

/** A segment's file name: its start offset, zero-padded to 20 digits (ref §5.1). */
export function offsetToFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Lists `dir`'s segment files (20-digit names) as start offsets, sorted; an absent directory gives []. */
export function listSegmentOffsets(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d{20}$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Writes up to this many bytes are made synchronously (see {@link SegmentFile.writev}): one tick's batch of small
 * records, a round's consume-queue units.
 */
export const SYNC_WRITE_MAX_BYTES = 64 * 1024;

export class SegmentFile {
  readonly path: string;
  readonly fd: number;
  private closed = false;
  /** Asynchronous operations in flight on the fd; a destroyed segment closes its fd when the last one ends. */
  private inFlight = 0;
  private destroyed = false;

  private constructor(
    readonly dir: string,
    /** Absolute offset of the segment's first byte. */
    readonly fileFromOffset: number,
    /** Fixed size in bytes. */
    readonly size: number,
    fd: number,
  ) {
    this.path = path.join(dir, offsetToFileName(fileFromOffset));
    this.fd = fd;
  }

  /**
   * Opens an existing segment or creates it at its full (sparse) size. An existing file of another size is refused
   * (ref §5.1: every segment must have the configured size), except an empty one left by a crash at creation.
   */
  static open(dir: string, fileFromOffset: number, size: number): SegmentFile {
    fs.mkdirSync(dir, { recursive: true });
    const p = path.join(dir, offsetToFileName(fileFromOffset));
    const fd = fs.openSync(p, fs.existsSync(p) ? 'r+' : 'w+');
    const actual = fs.fstatSync(fd).size;
    if (actual !== size) {
      if (actual !== 0) {
        fs.closeSync(fd);
        throw new MqError(
          'CORRUPT',
          `segment ${p} is ${actual} bytes but the configured size is ${size}; ` +
            'keep mappedFileSizeCommitLog / mappedFileSizeConsumeQueue as they were when the store was created',
          { details: { file: p, size: actual, expected: size } },
        );
      }
      fs.ftruncateSync(fd, size);
    }
    return new SegmentFile(dir, fileFromOffset, size, fd);
  }

  /** Absolute offset one past the segment's last byte. */
  get endOffset(): number {
    return this.fileFromOffset + this.size;
  }

  /** Reads `len` bytes at segment-relative `pos` synchronously (page-cache reads of small ranges). */
  readSync(pos: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, buf, done, len - done, pos + done);
      if (n === 0) break;
      done += n;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  /** Reads `len` bytes at segment-relative `pos` on the thread pool. */
  read(pos: number, len: number): Promise<Buffer> {
    return this.track(this.readRaw(pos, len));
  }

  private readRaw(pos: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    return new Promise((resolve, reject) => {
      const step = (done: number): void => {
        if (done >= len) return resolve(buf);
        fs.read(this.fd, buf, done, len - done, pos + done, (err, n) => {
          if (err) return reject(err);
          if (n === 0) return resolve(buf.subarray(0, done));
          step(done + n);
        });
      };
      step(0);
    });
  }

  /**
   * Writes `bufs` at segment-relative `pos` with writev, finishing partial writes. Up to {@link SYNC_WRITE_MAX_BYTES}
   * the write is made at once on the calling thread and the promise is already settled: a page-cache copy of a few
   * KiB takes microseconds, while a hop through the thread pool wakes a worker and then the event loop again, which
   * on a busy machine cost milliseconds per put at the 99th percentile (and more CPU than the copy). Larger writes
   * go to the thread pool, so a big batch never holds the event loop.
   */
  writev(bufs: Buffer[], pos: number): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    if (total <= SYNC_WRITE_MAX_BYTES) {
      try {
        this.writevSync(bufs, pos, total);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.track(this.writevRaw(bufs, pos));
  }

  /** Synchronous writev of `bufs` (`total` bytes) at segment-relative `pos`, finishing partial writes. */
  writevSync(bufs: Buffer[], pos: number, total: number): void {
    let written = fs.writevSync(this.fd, bufs, pos);
    while (written < total) {
      // Partial write (rare): the rest, from where it stopped.
      const n = fs.writevSync(this.fd, unwritten(bufs, written), pos + written);
      if (n <= 0) throw new MqError('INTERNAL', `writev to ${this.path} wrote nothing`);
      written += n;
    }
  }

  private writevRaw(bufs: Buffer[], pos: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (list: Buffer[], at: number): void => {
        fs.writev(this.fd, list, at, (err, written) => {
          if (err) return reject(err);
          let total = 0;
          for (const b of list) total += b.length;
          if (written >= total) return resolve();
          // Partial write: drop what was written and continue.
          step(unwritten(list, written), at + written);
        });
      };
      step(bufs, pos);
    });
  }

  /** Synchronous positional write (small metadata writes: consume-queue units, index entries). */
  writeSync(buf: Buffer, pos: number): void {
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, pos + done);
  }

  /** fdatasync on the thread pool. */
  datasync(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return this.track(new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve()))));
  }

  /** Counts an operation on the fd, so that destroy() never closes (and frees for reuse) an fd still in use. */
  private track<R>(p: Promise<R>): Promise<R> {
    this.inFlight++;
    return p.finally(() => {
      if (--this.inFlight === 0 && this.destroyed) this.close();
    });
  }

  /** Zeroes everything from segment-relative `pos` to the end (truncate, then restore the full sparse size). */
  zeroFrom(pos: number): void {
    fs.ftruncateSync(this.fd, pos);
    fs.ftruncateSync(this.fd, this.size);
  }

  /** Last modification time of the file, ms. */
  mtimeMs(): number {
    return fs.fstatSync(this.fd).mtimeMs;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Unlinks the file and closes it once no operation is in flight on it. */
  destroy(): void {
    this.destroyed = true;
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
    if (this.inFlight === 0) this.close();
  }
}

/** What is left of `bufs` once their first `written` bytes were written (views, no copies). */
function unwritten(bufs: Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
