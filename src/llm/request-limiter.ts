/**
 * A first-in-first-out limit on requests in flight, for the model client's hot path. It does what p-limit does
 * for one call site with fewer promise hops: a call under the limit runs at once; a finished call hands its slot
 * straight to the oldest waiting one (so the limit is never exceeded, and waiting calls keep their order).
 */
export class RequestLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly concurrency: number) {
    if (!((Number.isInteger(concurrency) || concurrency === Number.POSITIVE_INFINITY) && concurrency >= 1))
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Calls running now. */
  get activeCount(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get pendingCount(): number {
    return this.waiting.length - this.head;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head] as () => void;
      this.waiting[this.head] = undefined as unknown as () => void;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next(); // the slot passes to the waiting call: `active` stays the same
    } else this.active -= 1;
  }
}
