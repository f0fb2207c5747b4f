// Small shape checks for decoded wire data. Each throws a CeleryWireError that
// names the path, so every decoder reports "headers.retries: expected an
// integer, got \"2\"" the same way. Checked by hand rather than with zod: this
// runs once per delivered message.
import { CeleryWireError } from './celery-wire-error.js';

export type WireRecord = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value) ?? ''}`;
}

export function isRecord(value: unknown): value is WireRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function wrongShape(path: string, expected: string, value: unknown): CeleryWireError {
  if (value === undefined)
    return new CeleryWireError('MISSING_FIELD', path, `is missing (expected ${expected})`);
  return new CeleryWireError('BAD_FIELD', path, `expected ${expected}, got ${describe(value)}`);
}

export function requireRecord(value: unknown, path: string): WireRecord {
  if (!isRecord(value)) throw wrongShape(path, 'an object', value);
  return value;
}

export function requireString(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string' || (options.nonEmpty === true && value === '')) {
    throw wrongShape(path, options.nonEmpty === true ? 'a non-empty string' : 'a string', value);
  }
  return value;
}

/** A string, or undefined when the field is absent or null (Celery writes null for "not set"). */
export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, path);
}

export function requireNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongShape(path, 'a number', value);
  return value;
}

export function optionalNumber(value: unknown, path: string): number | undefined {
  return value === undefined || value === null ? undefined : requireNumber(value, path);
}

export function optionalInteger(value: unknown, path: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw wrongShape(path, 'a non-negative integer', value);
  return value;
}

export function optionalBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw wrongShape(path, 'true or false', value);
  return value;
}
