// Durations in Lovage are milliseconds when a number, or a string with a unit:
// '500ms', '30s', '5m', '1h', '2d' (decimals allowed: '1.5h').
import { ConfigError } from '../errors.js';

export type Duration = number | `${number}${DurationUnit}`;
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const unitMs: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Converts a duration to milliseconds. `field` names the option in the error
 * message, so a bad value is reported where the user wrote it.
 */
export function toMs(value: number | string, field = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${field} must be a non-negative number of milliseconds, got ${String(value)}`);
    }
    return value;
  }
  const match = pattern.exec(value);
  if (!match) {
    throw new ConfigError(
      `${field} must be milliseconds or a string like '500ms', '30s', '5m', '1h', '2d'; got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(Number(match[1]) * unitMs[match[2] as DurationUnit]);
}

/** Formats milliseconds the way people say them: 90_000 → '1m 30s'. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
