/**
 * Remembers when the master's commit log reached which offset, so that a slave's acknowledged offset can be turned
 * into a lag in seconds: the age of the oldest byte the slave does not have yet. Samples are taken by the HA service
 * (on a timer and on every SYNC_MASTER put); resolution is the sampling interval. Pure; time is passed in.
 */
export class LagClock {
  /** (offset, time) pairs with strictly increasing offsets. */
  private offsets: number[] = [];
  private times: number[] = [];

  constructor(private readonly maxSamples = 4096) {}

  /** The master's commit log ends at `offset` at time `nowMs`. */
  record(offset: number, nowMs: number): void {
    const n = this.offsets.length;
    if (n > 0 && offset <= this.offsets[n - 1]) return;
    this.offsets.push(offset);
    this.times.push(nowMs);
    if (this.offsets.length > this.maxSamples) {
      // Keep the newest half; a lag older than the window then reads as the window's age (an underestimate).
      const drop = this.offsets.length - Math.floor(this.maxSamples / 2);
      this.offsets.splice(0, drop);
      this.times.splice(0, drop);
    }
  }

  /** Seconds since the master first had a byte beyond `acked`; 0 when nothing recorded lies beyond it. */
  lagSeconds(acked: number, nowMs: number): number {
    // First sample whose offset is beyond the ack: the bytes just past `acked` existed by that sample's time.
    let lo = 0;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid] > acked) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.offsets.length) return 0;
    return Math.max(0, (nowMs - this.times[lo]) / 1000);
  }

  /** Drops samples every slave has passed, keeping the newest one. */
  prune(minAcked: number): void {
    let k = 0;
    while (k < this.offsets.length - 1 && this.offsets[k] <= minAcked) k++;
    if (k > 0) {
      this.offsets.splice(0, k);
      this.times.splice(0, k);
    }
  }
}
