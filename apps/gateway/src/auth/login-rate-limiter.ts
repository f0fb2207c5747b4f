// Counts failed logins per email and per client IP in a sliding window; once a key
// reaches the limit, further attempts are refused (429) until its oldest failure
// leaves the window. In memory: one gateway process guards itself; several
// gateways behind a load balancer each allow `maxFailures`.
export interface LoginRateLimitOptions {
  maxFailures: number;
  windowMs: number;
  /** Bound on tracked keys, so a flood of distinct emails cannot grow memory without limit. */
  maxKeys?: number;
}

export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxKeys: number;

  constructor(
    private readonly options: LoginRateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.maxKeys = options.maxKeys ?? 50_000;
  }

  /** Seconds until `keys` may try again, or 0 when none of them is limited. */
  retryAfterSeconds(keys: string[]): number {
    const now = this.now();
    let waitMs = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.options.maxFailures) {
        const oldest = recent[recent.length - this.options.maxFailures] ?? now;
        waitMs = Math.max(waitMs, oldest + this.options.windowMs - now);
      }
    }
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      // Re-insert so Map order stays least-recently-failed first, for eviction.
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    while (this.failures.size > this.maxKeys) {
      const oldestKey = this.failures.keys().next().value;
      if (oldestKey === undefined) break;
      this.failures.delete(oldestKey);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const list = this.failures.get(key);
    if (!list) return [];
    const kept = list.filter((at) => at > now - this.options.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}
