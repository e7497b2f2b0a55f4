/**
 * PullRequestHoldService (ref §9): pulls that found nothing wait here, keyed by `topic@queueId`, until
 * (1) the store reports an arrival past their offset whose tags code matches their filter — they are re-run at
 * once; (2) their hold time passes — they are re-run and answer whatever the store says; or (3) the periodic
 * re-check (every `pullHoldRecheckMills`, 5 s as RocketMQ) finds the queue grew or the connection closed.
 * No busy polling: between those events nothing runs.
 */
import type { RemotingCommand } from '../remoting/command';

/** One held pull: where it waits, what it accepts, and how to answer it. */
export interface HeldPull {
  topic: string;
  queueId: number;
  /** The consume-queue offset the pull asked for. */
  offset: number;
  filter?: (tagsCode: number) => boolean;
  channel: { id: string; closed: boolean };
  /** Re-executes the pull with suspension disabled. */
  rerun(): Promise<RemotingCommand>;
  /** Delivers the response of the held request. */
  resolve(res: RemotingCommand | null): void;
  timer?: NodeJS.Timeout;
}

/** Held pulls by `topic@queueId`, each with its own timeout timer. */
export class PullHoldService {
  private readonly held = new Map<string, Set<HeldPull>>();
  private count = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly maxOffset: (topic: string, queueId: number) => number,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  start(recheckMs: number): void {
    this.stopTimer();
    this.timer = setInterval(() => this.recheck(), recheckMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Number of pulls currently held. */
  size(): number {
    return this.count;
  }

  /** Holds `p` for at most `holdMs`. */
  hold(p: HeldPull, holdMs: number): void {
    const key = `${p.topic}@${p.queueId}`;
    let set = this.held.get(key);
    if (!set) this.held.set(key, (set = new Set()));
    set.add(p);
    this.count++;
    p.timer = setTimeout(() => this.wake(key, p), Math.max(0, holdMs));
    p.timer.unref();
    // A message may have been dispatched while the pull was reading the store (after its read, before this hold):
    // its arrival notice found nobody waiting. Look once more now, so it is not left for the periodic re-check.
    let max: number;
    try {
      max = this.maxOffset(p.topic, p.queueId);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (p.offset < max) this.wake(key, p);
  }

  /** The store dispatched a record: wake the held pulls of that queue that it satisfies (ref §9 point 1). */
  notifyArrival(topic: string, queueId: number, nextOffset: number, tagsCode: number | undefined): void {
    const key = `${topic}@${queueId}`;
    const set = this.held.get(key);
    if (!set) return;
    for (const p of [...set]) {
      if (p.offset >= nextOffset) continue;
      if (p.filter && tagsCode !== undefined && !p.filter(tagsCode)) continue;
      this.wake(key, p);
    }
  }

  private remove(key: string, p: HeldPull): boolean {
    const set = this.held.get(key);
    if (!set || !set.delete(p)) return false;
    if (set.size === 0) this.held.delete(key);
    this.count--;
    if (p.timer) clearTimeout(p.timer);
    return true;
  }

  private wake(key: string, p: HeldPull): void {
    if (!this.remove(key, p)) return;
    if (p.channel.closed) {
      p.resolve(null);
      return;
    }
    p.rerun().then(
      (res) => p.resolve(res),
      (err: unknown) => {
        this.onError(err);
        p.resolve(null);
      },
    );
  }

  /** The periodic safety net (ref §9 point 2): queue grew past a held offset, or the connection is gone. */
  recheck(): void {
    for (const [key, set] of [...this.held]) {
      for (const p of [...set]) {
        if (p.channel.closed) {
          this.remove(key, p);
          p.resolve(null);
          continue;
        }
        let max: number;
        try {
          max = this.maxOffset(p.topic, p.queueId);
        } catch (err) {
          this.onError(err);
          continue;
        }
        if (p.offset < max) this.wake(key, p);
      }
    }
  }

  /** Drops the held pulls of a closed connection. */
  channelClosed(channelId: string): void {
    for (const [key, set] of [...this.held]) {
      for (const p of [...set]) {
        if (p.channel.id === channelId) {
          this.remove(key, p);
          p.resolve(null);
        }
      }
    }
  }

  /** Answers every held pull now (shutdown): each is re-run once. */
  wakeAll(): void {
    for (const [key, set] of [...this.held]) for (const p of [...set]) this.wake(key, p);
    this.stopTimer();
  }
}
