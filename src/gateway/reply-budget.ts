/**
 * The cap on message bytes that gets are assembling (maxInflightReplyBytes): a get reserves each body as it adds it
 * to its reply and gives the bytes back once its reply has been written to the socket (or the connection is gone).
 * When the cap is reached a get returns the messages it already has (fewer than asked); one that has none answers
 * BUSY. So replies being assembled never hold more than the cap, however many gets run at once.
 */
export class ReplyBudget {
  private used = 0;

  constructor(readonly cap: number) {}

  /** Bytes reserved by gets now. */
  get reserved(): number {
    return this.used;
  }

  /** A reservation for one get call. */
  open(): ReplyReservation {
    return new ReplyReservation(this);
  }

  /** @internal */
  take(bytes: number): boolean {
    if (this.used + bytes > this.cap) return false;
    this.used += bytes;
    return true;
  }

  /** @internal */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** The bytes one get holds; `reserve` is handed to the reader, `release` runs once the reply left. */
export class ReplyReservation {
  private bytes = 0;
  /** True once a reserve was refused (the reply is cut short by the cap). */
  refused = false;
  private released = false;

  constructor(private readonly budget: ReplyBudget) {}

  /** Reserves one more body; false (and nothing reserved) when that would exceed the cap. */
  readonly reserve = (n: number): boolean => {
    if (this.released || !this.budget.take(n)) {
      this.refused = true;
      return false;
    }
    this.bytes += n;
    return true;
  };

  /** Gives every reserved byte back (idempotent). */
  readonly release = (): void => {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.bytes);
    this.bytes = 0;
  };

  get held(): number {
    return this.bytes;
  }

  /** The cap this reservation draws on. */
  get cap(): number {
    return this.budget.cap;
  }
}
