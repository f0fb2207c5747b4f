// How long to wait before the next retry, Celery's way: with retryBackoff the
// delay doubles each retry (base × 2^retries) up to retryBackoffMax, and jitter
// (on by default) picks uniformly in [0, delay] so a thundering herd of failing
// tasks spreads out instead of hammering the recovering service in lockstep.
import { toMs, type Duration } from '../time/duration.js';

export interface RetryPolicy {
  defaultRetryDelay?: Duration | undefined;
  retryBackoff?: boolean | Duration | undefined;
  retryBackoffMax?: Duration | undefined;
  retryJitter?: boolean | undefined;
}

export function retryDelayMs(policy: RetryPolicy, retries: number, random: () => number = Math.random): number {
  if (policy.retryBackoff === undefined || policy.retryBackoff === false) {
    return toMs(policy.defaultRetryDelay ?? '3m', 'defaultRetryDelay');
  }
  const base = policy.retryBackoff === true ? 1_000 : toMs(policy.retryBackoff, 'retryBackoff');
  const max = toMs(policy.retryBackoffMax ?? '10m', 'retryBackoffMax');
  const delay = Math.min(max, base * 2 ** retries);
  return policy.retryJitter === false ? delay : Math.floor(random() * (delay + 1));
}
