// Counts failed logins per key ("email:<address>", "ip:<address>") in a sliding
// window; once a key holds `maxFailures` failures inside the window, further
// attempts are refused (429) until its oldest counted failure leaves the window.
// The failures are rows in the monitor's database, so every gateway behind a
// load balancer counts the same failures, and a restart forgives nothing.
import type { PrismaClient } from '../generated/prisma/client.js';

export interface LoginRateLimitOptions {
  maxFailures: number;
  windowMs: number;
}

export class LoginRateLimiter {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: LoginRateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get maxFailures(): number {
    return this.options.maxFailures;
  }

  /** Seconds until `key` may try again, or 0 when it is not limited. */
  async retryAfterSeconds(key: string): Promise<number> {
    const now = this.now();
    const recent = await this.prisma.loginFailure.findMany({
      where: { key, at: { gt: new Date(now - this.options.windowMs) } },
      orderBy: { at: 'desc' },
      take: this.options.maxFailures,
      select: { at: true },
    });
    const oldestCounted = recent[this.options.maxFailures - 1];
    if (!oldestCounted) return 0;
    const waitMs = oldestCounted.at.getTime() + this.options.windowMs - now;
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  /** Records a failure; true when this one locked the key (it reached the limit just now). */
  async recordFailure(key: string): Promise<boolean> {
    const now = this.now();
    await this.prisma.loginFailure.create({ data: { key, at: new Date(now) } });
    const count = await this.prisma.loginFailure.count({ where: { key, at: { gt: new Date(now - this.options.windowMs) } } });
    return count === this.options.maxFailures;
  }

  /** Forgets every failure of `key` (a successful login, or an admin's unlock). Returns how many. */
  async reset(key: string): Promise<number> {
    return (await this.prisma.loginFailure.deleteMany({ where: { key } })).count;
  }

  /** Deletes failures that no longer count anywhere. */
  async prune(): Promise<number> {
    return (await this.prisma.loginFailure.deleteMany({ where: { at: { lte: new Date(this.now() - this.options.windowMs) } } })).count;
  }

  /** Keys limited right now, with the seconds until each is free. */
  async lockedKeys(prefix: string): Promise<{ key: string; retryAfterSeconds: number }[]> {
    const since = new Date(this.now() - this.options.windowMs);
    const groups = await this.prisma.loginFailure.groupBy({
      by: ['key'],
      where: { key: { startsWith: prefix }, at: { gt: since } },
      having: { key: { _count: { gte: this.options.maxFailures } } },
    });
    const locked = await Promise.all(groups.map(async ({ key }) => ({ key, retryAfterSeconds: await this.retryAfterSeconds(key) })));
    return locked.filter((entry) => entry.retryAfterSeconds > 0);
  }
}
