/**
 * SYNC_MASTER waiters (ref §8.3 GroupTransferService): each put waits until a slave has acknowledged its end offset,
 * or until its timeout. No I/O; the timers are unref'd so that a waiting put never keeps a process alive.
 */

interface Waiter {
  endOffset: number;
  resolve(acked: boolean): void;
  timer: NodeJS.Timeout;
}

export class AckWaiters {
  /** Pending waiters; puts arrive in commit-log order, so this is nearly sorted by endOffset. */
  private waiters: Waiter[] = [];

  /** Resolves true once {@link ack} reaches `endOffset`, false after `timeoutMs`. */
  wait(endOffset: number, ackedNow: number, timeoutMs: number): Promise<boolean> {
    if (ackedNow >= endOffset) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        endOffset,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(false);
        }, timeoutMs),
      };
      w.timer.unref();
      this.waiters.push(w);
    });
  }

  /** A slave acknowledged `offset`: every waiter at or below it succeeds. */
  ack(offset: number): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.endOffset <= offset) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /** Fails every waiter now (shutdown). */
  failAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
  }

  get size(): number {
    return this.waiters.length;
  }
}
