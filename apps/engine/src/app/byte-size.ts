// Sizes in Lovage are bytes when a number, or a string with a unit:
// '512kb', '256mb', '1gb' (binary multiples: 1kb = 1,024 bytes).
import { ConfigError } from '../errors.js';

export type ByteSize = number | `${number}${ByteUnit}`;
export type ByteUnit = 'b' | 'kb' | 'mb' | 'gb';

const unitBytes: Record<ByteUnit, number> = { b: 1, kb: 1_024, mb: 1_024 ** 2, gb: 1_024 ** 3 };
const pattern = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)\s*$/i;

/** Converts a size to bytes; `field` names the option in the error message. */
export function toBytes(value: number | string, field = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`${field} must be a whole, non-negative number of bytes, got ${String(value)}`);
    return value;
  }
  const match = pattern.exec(value);
  if (!match) throw new ConfigError(`${field} must be bytes or a string like '512kb', '256mb', '1gb'; got ${JSON.stringify(value)}`);
  return Math.round(Number(match[1]) * unitBytes[match[2]!.toLowerCase() as ByteUnit]);
}
