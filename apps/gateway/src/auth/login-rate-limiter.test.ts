import { describe, expect, it } from 'vitest';
import { LoginRateLimiter } from './login-rate-limiter.js';

describe('LoginRateLimiter', () => {
  it('limits a key after maxFailures within the window and frees it when the oldest failure expires', () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ maxFailures: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds(['email:a'])).toBe(0);
      limiter.recordFailure(['email:a', 'ip:1']);
      now += 1_000;
    }
    expect(limiter.retryAfterSeconds(['email:a'])).toBe(57);
    expect(limiter.retryAfterSeconds(['email:b', 'ip:1'])).toBe(57);
    expect(limiter.retryAfterSeconds(['email:b', 'ip:2'])).toBe(0);
    now += 57_000;
    expect(limiter.retryAfterSeconds(['email:a'])).toBe(0);
  });

  it('forgets a key on reset and evicts the stalest keys beyond maxKeys', () => {
    const limiter = new LoginRateLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 2 });
    limiter.recordFailure(['a']);
    limiter.reset('a');
    expect(limiter.retryAfterSeconds(['a'])).toBe(0);
    limiter.recordFailure(['b']);
    limiter.recordFailure(['c']);
    limiter.recordFailure(['d']);
    expect(limiter.retryAfterSeconds(['b'])).toBe(0);
    expect(limiter.retryAfterSeconds(['d'])).toBeGreaterThan(0);
  });
});
