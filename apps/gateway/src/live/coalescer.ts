// Holds the latest value per key and hands them over at most once per
// interval. A burst of 10,000 events a second on a few hundred tasks becomes at
// most ten messages a second, each with one entry per task in its latest state;
// after a quiet spell the first change goes out at once.
export class Coalescer<V> {
  private pending = new Map<string, V>();
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: (values: V[]) => void,
  ) {}

  /** Replaces the pending value of `key` (or merges with it); the entry moves to the end, so values come out in order of last change. */
  add(key: string, value: V, merge?: (previous: V, next: V) => V): void {
    if (this.closed) return;
    const previous = this.pending.get(key);
    if (previous !== undefined) this.pending.delete(key);
    this.pending.set(key, previous !== undefined && merge ? merge(previous, value) : value);
    this.timer ??= setTimeout(() => this.run(), Math.max(0, this.lastFlush + this.intervalMs - Date.now()));
  }

  get size(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private run(): void {
    this.timer = undefined;
    this.lastFlush = Date.now();
    const values = [...this.pending.values()];
    this.pending = new Map();
    if (values.length > 0) this.flush(values);
  }
}

/**
 * Runs an async refresh at most once per interval and never twice at a time;
 * requests made while one runs are folded into one more run after it.
 */
export class Throttled {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastRun = 0;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer ??= setTimeout(() => this.run(), Math.max(0, this.lastRun + this.intervalMs - Date.now()));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private run(): void {
    this.timer = undefined;
    this.lastRun = Date.now();
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }
}
