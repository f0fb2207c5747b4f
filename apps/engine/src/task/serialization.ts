// Arguments and results travel as JSON. Anything JSON cannot carry faithfully is
// refused at the call site, with the path of the offending value, so a producer
// learns about it where it wrote the bug rather than in a worker's log later.
// Dates are the one exception: they travel tagged, the way kombu does it:
//   {"__type__": "date", "__value__": "2026-11-24T13:00:00.000Z"}
import { SerializationError } from '../errors.js';

const TYPE = '__type__';
const VALUE = '__value__';

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    return `an instance of ${ctor?.name ?? 'an unknown class'}`;
  }
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

/** Converts a value into plain JSON data (dates tagged), throwing SerializationError naming the path. */
export function toJsonValue(value: unknown, path: string, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new SerializationError(path, `${String(value)} cannot travel as JSON`);
      return value;
    case 'undefined':
      throw new SerializationError(path, 'undefined cannot travel as JSON');
    case 'bigint':
      throw new SerializationError(path, 'a BigInt cannot travel as JSON; pass it as a string');
    case 'function':
      throw new SerializationError(path, 'a function cannot travel as JSON');
    case 'symbol':
      throw new SerializationError(path, 'a symbol cannot travel as JSON');
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) throw new SerializationError(path, 'an invalid Date cannot travel as JSON');
    return { [TYPE]: 'date', [VALUE]: obj.toISOString() };
  }
  if (seen.has(obj)) throw new SerializationError(path, 'a circular reference cannot travel as JSON');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const out: unknown[] = [];
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) throw new SerializationError(`${path}[${i}]`, 'an array hole cannot travel as JSON');
        out.push(toJsonValue(obj[i], `${path}[${i}]`, seen));
      }
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new SerializationError(path, `${describe(obj)} cannot travel as JSON; pass plain data`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(obj)) {
      // A property set to undefined reads back as undefined when absent, so it is faithful to drop it.
      if (item === undefined) continue;
      out[key] = toJsonValue(item, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Reverses toJsonValue: revives tagged dates. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (typeof value === 'object' && value !== null) {
    const rec = value as Record<string, unknown>;
    if (rec[TYPE] === 'date' && typeof rec[VALUE] === 'string' && Object.keys(rec).length === 2) {
      return new Date(rec[VALUE]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = fromJsonValue(v);
    return out;
  }
  return value;
}

export function encodeArgs(args: readonly unknown[]): unknown[] {
  return args.map((a, i) => toJsonValue(a, `args[${i}]`));
}
