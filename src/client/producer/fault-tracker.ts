/**
 * Latency-fault style avoidance of broker sets (ref §6.2 `sendLatencyFaultEnable`, simplified): a broker set whose
 * send failed (timeout, connect failure, SYSTEM_BUSY, SYSTEM_ERROR, ...) is avoided by new sends for
 * `faultAvoidanceMs`; a success clears it at once. Queue selection prefers available sets and falls back to the
 * one whose avoidance ends soonest when every set is avoided. Pure bookkeeping: the caller passes the clock.
 */
export class FaultTracker {
  /** brokerName → epoch ms until which it is avoided. */
  private readonly until = new Map<string, number>();

  constructor(private readonly avoidanceMs: number) {}

  /** Records a failure at `now`. */
  markFailed(brokerName: string, now: number): void {
    if (this.avoidanceMs <= 0) return;
    this.until.set(brokerName, now + this.avoidanceMs);
  }

  /** Records a success: the set is usable again. */
  markOk(brokerName: string): void {
    this.until.delete(brokerName);
  }

  /** True unless the set failed within the last `faultAvoidanceMs`. */
  isAvailable(brokerName: string, now: number): boolean {
    const u = this.until.get(brokerName);
    if (u === undefined) return true;
    if (u <= now) {
      this.until.delete(brokerName);
      return true;
    }
    return false;
  }

  /** When the set becomes available again (0 if it is). */
  availableAt(brokerName: string, now: number): number {
    return this.isAvailable(brokerName, now) ? 0 : (this.until.get(brokerName) ?? 0);
  }
}
