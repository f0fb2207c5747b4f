import { ConfigError } from '../errors.js';

/** Parses '100/s', '100/m', '100/h' (or a bare number, per second) into tokens per ms and a burst capacity. */
export function parseRateLimit(rate: string): { perMs: number; capacity: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(rate);
  if (!match) throw new ConfigError(`rateLimit: expected '<n>/s', '<n>/m' or '<n>/h', got ${JSON.stringify(rate)}`);
  const n = Number(match[1]);
  const windowMs = { s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  // Capacity 1: tokens are spread evenly over the window rather than spent in one burst.
  return { perMs: n / windowMs, capacity: 1 };
}
