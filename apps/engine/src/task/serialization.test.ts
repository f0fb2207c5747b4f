import { describe, expect, it } from 'vitest';
import { SerializationError } from '../errors.js';
import { encodeArgs, fromJsonValue, toJsonValue } from './serialization.js';

function pathOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SerializationError) return err.path;
    throw err;
  }
  throw new Error('did not throw');
}

describe('serialization', () => {
  it('names the path of a function nested in the arguments', () => {
    expect(pathOf(() => encodeArgs([{ user: { callback: () => 1 } }]))).toBe('args[0].user.callback');
  });
  it('refuses class instances, undefined in arrays, cycles, BigInt and NaN', () => {
    class Thing {}
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(pathOf(() => encodeArgs([new Thing()]))).toBe('args[0]');
    expect(pathOf(() => encodeArgs([[1, undefined]]))).toBe('args[0][1]');
    expect(pathOf(() => encodeArgs([cyclic]))).toBe('args[0].self');
    expect(pathOf(() => encodeArgs([1n]))).toBe('args[0]');
    expect(pathOf(() => encodeArgs([{ n: NaN }]))).toBe('args[0].n');
    expect(pathOf(() => encodeArgs([new Map()]))).toBe('args[0]');
  });
  it('round-trips dates through the tagged encoding', () => {
    const when = new Date('2026-11-24T13:00:00.000Z');
    const wire = JSON.stringify(toJsonValue({ when }, 'x'));
    expect(wire).toBe('{"when":{"__type__":"date","__value__":"2026-11-24T13:00:00.000Z"}}');
    expect(fromJsonValue(JSON.parse(wire))).toEqual({ when });
  });
  it('allows shared (non-cyclic) references', () => {
    const shared = { a: 1 };
    expect(toJsonValue([shared, shared], 'args')).toEqual([{ a: 1 }, { a: 1 }]);
  });
});
