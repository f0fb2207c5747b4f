// kombu's JSON: the serializer Celery uses for task bodies, results, events and
// control messages (content type application/json).
//
// Two dialects exist in the wild, and a Lovage peer must read both:
// - kombu 5.3+ tags the types JSON lacks: {"__type__": T, "__value__": V} with
//   T = datetime | date | time (isoformat) | decimal (str) | uuid ({"hex": …})
//   | bytes (utf-8 text) | base64 (other bytes). An object whose keys are
//   exactly those two with an unknown T is refused (kombu raises ValueError).
// - kombu 5.2 (Debian's 5.2.4 here) has no tags: datetime and date become plain
//   isoformat strings ("+00:00" written "Z", a date as midnight), Decimal and
//   UUID plain strings, and bytes cannot be sent at all (TypeError).
//
// Reading maps them onto JavaScript: datetime → Date, date and time → their ISO
// string, Decimal → string (a float would lose digits), UUID → canonical
// string, bytes → Buffer. Plain ISO datetime strings (kombu 5.2) become Dates
// too unless `plainDatetimes: false`; a string that only looks like a datetime
// is then read as one, which is the price of reading kombu 5.2 at all.
//
// Writing picks one dialect, because each peer misreads the other's: kombu 5.2
// hands a tag to the task as a dict, kombu 5.3+ hands a plain string over as a
// str. Debian's Celery 5.2.6 needs 'kombu-5.2'.
import { SerializationError } from '../../errors.js';
import { CeleryWireError } from './celery-wire-error.js';
import { formatKombu52Datetime, formatPythonDatetime, parsePythonDatetime } from './python-datetime.js';

export type KombuDialect = 'kombu-5.2' | 'kombu-5.3';

export interface KombuDecodeOptions {
  /** Read plain ISO-8601 datetime strings (kombu 5.2's datetimes) as Dates. Default true. */
  plainDatetimes?: boolean;
}

const TYPE = '__type__';
const VALUE = '__value__';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX_UUID = /^[0-9a-fA-F]{32}$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function badTag(path: string, message: string): CeleryWireError {
  return new CeleryWireError('BAD_TYPE_TAG', path, message);
}

/** Decodes base64 strictly: Node's Buffer.from silently skips characters that are not base64. */
export function decodeBase64Strict(text: string, path: string): Buffer {
  // kombu writes no whitespace, so the copy without it is made only for text that fails as it is.
  const compact = text.length % 4 === 0 && BASE64.test(text) ? text : text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new CeleryWireError('BAD_BASE64', path, 'is not valid base64');
  }
  return Buffer.from(compact, 'base64');
}

function decodeTag(type: unknown, value: unknown, path: string): unknown {
  switch (type) {
    case 'datetime': {
      const date = typeof value === 'string' ? parsePythonDatetime(value) : undefined;
      if (date === undefined)
        throw badTag(path, `datetime tag holds ${JSON.stringify(value)}, not an ISO-8601 datetime`);
      return date;
    }
    case 'date':
    case 'time':
    case 'decimal':
      if (typeof value !== 'string') throw badTag(path, `${type} tag holds ${typeof value}, not a string`);
      return value;
    case 'uuid': {
      const hex = (value as { hex?: unknown } | null)?.hex;
      if (typeof hex !== 'string' || !HEX_UUID.test(hex))
        throw badTag(path, 'uuid tag must hold {"hex": <32 hex digits>}');
      const h = hex.toLowerCase();
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'bytes':
      if (typeof value !== 'string') throw badTag(path, 'bytes tag must hold a string');
      return Buffer.from(value, 'utf8');
    case 'base64':
      if (typeof value !== 'string') throw badTag(path, 'base64 tag must hold a string');
      return decodeBase64Strict(value, path);
    default:
      throw badTag(path, `unknown kombu type tag ${JSON.stringify(type)}`);
  }
}

/** Walks parsed JSON and turns kombu's tags (and, by default, plain ISO datetimes) into JavaScript values. */
export function decodeKombuValue(value: unknown, path = '$', options: KombuDecodeOptions = {}): unknown {
  if (typeof value === 'string') {
    if (options.plainDatetimes === false || value.length < 19 || value[10] !== 'T') return value;
    return parsePythonDatetime(value) ?? value;
  }
  if (Array.isArray(value))
    return value.map((item, i) => decodeKombuValue(item, childPath(path, i), options));
  if (typeof value === 'object' && value !== null) {
    const rec = value as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 2 && TYPE in rec && VALUE in rec) return decodeTag(rec[TYPE], rec[VALUE], path);
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = decodeKombuValue(rec[key], childPath(path, key), options);
    return out;
  }
  return value;
}

/** JSON.parse that fails with a CeleryWireError naming `path`. */
export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Python's json.dumps writes NaN and Infinity for those floats; JSON (and so JavaScript) has no such literals.
    throw new CeleryWireError('BAD_JSON', path, `is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** Parses kombu JSON text and decodes its type tags. */
export function parseKombuJson(text: string, path: string, options: KombuDecodeOptions = {}): unknown {
  return decodeKombuValue(parseJson(text, path), path, options);
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function encodeBytes(bytes: Uint8Array, dialect: KombuDialect, path: string): unknown {
  if (dialect === 'kombu-5.2') {
    throw new SerializationError(
      path,
      'bytes cannot travel to kombu 5.2, whose JSON has no form for them; send base64 text or use the kombu-5.3 dialect',
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // kombu 5.3 sends bytes as text when they are UTF-8 and as base64 otherwise; so do we.
  return isUtf8(buffer)
    ? { [TYPE]: 'bytes', [VALUE]: buffer.toString('utf8') }
    : { [TYPE]: 'base64', [VALUE]: buffer.toString('base64') };
}

/** What one value becomes in kombu JSON, or a SerializationError naming `path` when JSON cannot carry it faithfully. */
function encodeLeaf(value: unknown, dialect: KombuDialect, path: string, required: boolean): unknown {
  switch (typeof value) {
    case 'undefined':
      // A property set to undefined reads back as undefined when absent: dropping it is faithful. In a list it is not.
      if (required) throw new SerializationError(path, 'undefined (or an array hole) cannot travel as JSON');
      return undefined;
    case 'number':
      if (!Number.isFinite(value))
        throw new SerializationError(path, `${String(value)} cannot travel as JSON`);
      return value;
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new SerializationError(path, `a ${typeof value} cannot travel as JSON`);
    case 'object': {
      if (value === null || Array.isArray(value)) return value;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime()))
          throw new SerializationError(path, 'an invalid Date cannot travel as JSON');
        return dialect === 'kombu-5.2'
          ? formatKombu52Datetime(value)
          : { [TYPE]: 'datetime', [VALUE]: formatPythonDatetime(value) };
      }
      if (value instanceof Uint8Array) return encodeBytes(value, dialect, path);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new SerializationError(
          path,
          `an instance of ${value.constructor.name} cannot travel as JSON; pass plain data`,
        );
      }
      return value;
    }
    default:
      return value;
  }
}

/** Past this depth isPlainJson gives up (a cycle, or data nested deeper than task data ever is). */
const PLAIN_JSON_MAX_DEPTH = 64;

/**
 * Whether JSON.stringify alone writes `value` as stringifyKombuJson would: only
 * strings, booleans, null, finite numbers, dense arrays without undefined and
 * plain objects (no Dates, bytes, class instances, functions, bigints or
 * cycles). A result meta or a task's arguments almost always are.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= PLAIN_JSON_MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || value[i] === undefined || !isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const field = record[key];
        // An undefined property is dropped by both paths.
        if (field !== undefined && !isPlainJson(field, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Encodes a value as kombu JSON text for `dialect`, refusing with
 * SerializationError (naming the path under `rootPath`, e.g. `args[1].when`)
 * what JSON cannot carry faithfully. One JSON.stringify pass: the replacer sees
 * each original value (before toJSON) through its holder, and keeps the path
 * of every container it lets through.
 */
export function stringifyKombuJson(value: unknown, dialect: KombuDialect, rootPath = '$'): string {
  // The common case, without the replacer's per-key paths (a worker encodes a result meta per task).
  if (isPlainJson(value, 0)) return JSON.stringify(value);
  const paths = new WeakMap<object, string>();
  let current = rootPath;
  function replacer(this: unknown, key: string, _serialized: unknown): unknown {
    const holder = this as Record<string, unknown>;
    const isRoot = key === '' && paths.get(holder) === undefined;
    const inArray = Array.isArray(holder);
    const path = isRoot ? rootPath : childPath(paths.get(holder) ?? rootPath, inArray ? Number(key) : key);
    current = path;
    if (inArray && !(key in holder))
      throw new SerializationError(path, 'an array hole cannot travel as JSON');
    const encoded = encodeLeaf(holder[key], dialect, path, inArray || isRoot);
    if (typeof encoded === 'object' && encoded !== null) paths.set(encoded, path);
    return encoded;
  }
  try {
    return JSON.stringify(value, replacer) ?? 'null';
  } catch (err) {
    if (err instanceof SerializationError) throw err;
    // JSON.stringify's own refusal: a cycle is the one left (the replacer ran on the repeated object last).
    throw new SerializationError(current, 'a circular reference cannot travel as JSON', { cause: err });
  }
}
