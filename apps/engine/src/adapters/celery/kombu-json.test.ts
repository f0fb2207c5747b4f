import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../errors.js';
import { CeleryWireError } from './celery-wire-error.js';
import { decodeBase64Strict, decodeKombuValue, parseKombuJson, stringifyKombuJson } from './kombu-json.js';

function wireError(run: () => unknown): CeleryWireError {
  try {
    run();
  } catch (err) {
    if (err instanceof CeleryWireError) return err;
    throw err;
  }
  throw new Error('expected a CeleryWireError');
}

describe('reading kombu 5.3+ type tags', () => {
  // The tags as kombu/utils/json.py (5.3+) writes them for
  // [datetime(2026,1,2,3,4,5,123456,utc), date(2026,1,2), time(1,2,3), Decimal('1.10'), UUID(int=5), b'hi', b'\xff\x00'].
  const text =
    '[{"__type__": "datetime", "__value__": "2026-01-02T03:04:05.123456+00:00"}, {"__type__": "date", "__value__": "2026-01-02"},' +
    ' {"__type__": "time", "__value__": "01:02:03"}, {"__type__": "decimal", "__value__": "1.10"},' +
    ' {"__type__": "uuid", "__value__": {"hex": "00000000000000000000000000000005"}}, {"__type__": "bytes", "__value__": "hi"},' +
    ' {"__type__": "base64", "__value__": "/wA="}]';

  it('turns datetime into Date, date/time/Decimal/UUID into strings and bytes into Buffer', () => {
    const [when, day, time, amount, id, text1, raw] = parseKombuJson(text, 'args') as unknown[];
    expect(when).toEqual(new Date('2026-01-02T03:04:05.123Z'));
    expect(day).toBe('2026-01-02');
    expect(time).toBe('01:02:03');
    expect(amount).toBe('1.10');
    expect(id).toBe('00000000-0000-0000-0000-000000000005');
    expect(text1).toEqual(Buffer.from('hi'));
    expect(raw).toEqual(Buffer.from([0xff, 0x00]));
  });

  it('finds tags at any depth', () => {
    expect(decodeKombuValue({ order: { at: [{ __type__: 'decimal', __value__: '9.99' }] } })).toEqual({
      order: { at: ['9.99'] },
    });
  });

  it('refuses an unknown tag and a malformed one, naming the path', () => {
    const unknown = wireError(() =>
      parseKombuJson('{"x": [{"__type__": "set", "__value__": [1]}]}', 'kwargs'),
    );
    expect(unknown.reason).toBe('BAD_TYPE_TAG');
    expect(unknown.path).toBe('kwargs.x[0]');
    expect(unknown.message).toContain('unknown kombu type tag "set"');
    expect(wireError(() => decodeKombuValue({ __type__: 'uuid', __value__: 'nothex' })).reason).toBe(
      'BAD_TYPE_TAG',
    );
    expect(wireError(() => decodeKombuValue({ __type__: 'datetime', __value__: 'soon' })).message).toContain(
      'not an ISO-8601 datetime',
    );
    expect(
      wireError(() => decodeKombuValue({ __type__: 'base64', __value__: '***' }, 'args[0]')).reason,
    ).toBe('BAD_BASE64');
  });

  it('decodes base64 strictly, with or without the line breaks some encoders write', () => {
    const text = Buffer.from('{"task": "proj.add", "args": [1, 2]}').toString('base64');
    expect(decodeBase64Strict(text, 'body').toString()).toBe('{"task": "proj.add", "args": [1, 2]}');
    expect(decodeBase64Strict(`${text.slice(0, 20)}\n${text.slice(20)}\n`, 'body').toString()).toBe('{"task": "proj.add", "args": [1, 2]}');
    expect(wireError(() => decodeBase64Strict(`${text.slice(0, -4)}!!!!`, 'body')).reason).toBe('BAD_BASE64');
    expect(wireError(() => decodeBase64Strict(text.slice(0, -1), 'body')).reason).toBe('BAD_BASE64');
  });

  it('leaves an object with more keys than the tag pair alone', () => {
    expect(decodeKombuValue({ __type__: 'set', __value__: 1, other: 2 })).toEqual({
      __type__: 'set',
      __value__: 1,
      other: 2,
    });
  });
});

describe("reading kombu 5.2's plain values", () => {
  it('reads ISO datetime strings as Dates (kombu 5.2 writes datetimes and dates that way) and leaves other strings', () => {
    // What kombu 5.2.4 wrote here for [datetime(…, 123456, utc), date(2026, 1, 2), time(1, 2, 3), Decimal('1.10'), UUID(int=5)].
    const decoded = parseKombuJson(
      '["2026-01-02T03:04:05.123456Z", "2026-01-02T00:00:00", "01:02:03", "1.10", "00000000-0000-0000-0000-000000000005", "2026-01-02"]',
      'args',
    );
    expect(decoded).toEqual([
      new Date('2026-01-02T03:04:05.123Z'),
      new Date('2026-01-02T00:00:00Z'),
      '01:02:03',
      '1.10',
      '00000000-0000-0000-0000-000000000005',
      '2026-01-02',
    ]);
  });

  it('keeps them as strings when asked', () => {
    expect(parseKombuJson('["2026-01-02T03:04:05Z"]', 'args', { plainDatetimes: false })).toEqual([
      '2026-01-02T03:04:05Z',
    ]);
  });

  it('names bad JSON, including the NaN Python writes for float("nan")', () => {
    const bad = wireError(() => parseKombuJson('[NaN]', 'body'));
    expect(bad.reason).toBe('BAD_JSON');
    expect(bad.path).toBe('body');
  });
});

describe('writing', () => {
  const when = new Date('2026-01-02T03:04:05.123Z');

  it('writes kombu 5.2 plain forms and kombu 5.3 tags', () => {
    expect(stringifyKombuJson([when, 'x', 1, null, { a: true }], 'kombu-5.2')).toBe(
      '["2026-01-02T03:04:05.123000Z","x",1,null,{"a":true}]',
    );
    expect(stringifyKombuJson([when, Buffer.from('hi'), Buffer.from([0xff])], 'kombu-5.3')).toBe(
      '[{"__type__":"datetime","__value__":"2026-01-02T03:04:05.123000+00:00"},{"__type__":"bytes","__value__":"hi"},{"__type__":"base64","__value__":"/w=="}]',
    );
  });

  it('round-trips through the reader in both dialects', () => {
    const value = { when, nested: [when, { deep: when }], n: 1.5, s: 'text' };
    expect(parseKombuJson(stringifyKombuJson(value, 'kombu-5.2'), '$')).toEqual(value);
    expect(
      parseKombuJson(stringifyKombuJson({ ...value, raw: Buffer.from([1, 2, 250]) }, 'kombu-5.3'), '$'),
    ).toEqual({ ...value, raw: Buffer.from([1, 2, 250]) });
  });

  it('writes plain data exactly as JSON.stringify does, however deep, and still converts a Date found deep inside it', () => {
    const plain = { status: 'SUCCESS', result: [1, 'two', { three: [true, null, -0.5] }], children: [], empty: {} };
    expect(stringifyKombuJson(plain, 'kombu-5.2')).toBe(JSON.stringify(plain));
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = i % 2 === 0 ? [deep] : { level: deep };
    expect(stringifyKombuJson(deep, 'kombu-5.2')).toBe(JSON.stringify(deep));
    expect(stringifyKombuJson({ a: [{ b: { c: when } }] }, 'kombu-5.2')).toBe('{"a":[{"b":{"c":"2026-01-02T03:04:05.123000Z"}}]}');
  });

  it('drops undefined properties, as reading them back gives undefined anyway', () => {
    expect(stringifyKombuJson({ a: 1, b: undefined }, 'kombu-5.2')).toBe('{"a":1}');
  });

  it('refuses what JSON cannot carry with a SerializationError naming the path', () => {
    const cases: [unknown, string, string][] = [
      [[1, () => 1], 'args[1]', 'function'],
      [{ a: { b: 10n } }, 'kwargs.a.b', 'bigint'],
      [[Number.NaN], 'args[0]', 'NaN'],
      [[undefined], 'args[0]', 'undefined'],
      [[1, , 3], 'args[1]', 'hole'], // eslint-disable-line no-sparse-arrays
      [{ when: new Date('nope') }, 'kwargs.when', 'invalid Date'],
      [{ m: new Map() }, 'kwargs.m', 'Map'],
      [[Buffer.from('x')], 'args[0]', 'kombu 5.2'],
    ];
    for (const [value, path, words] of cases) {
      const root = path.startsWith('args') ? 'args' : 'kwargs';
      let caught: unknown;
      try {
        stringifyKombuJson(value, 'kombu-5.2', root);
      } catch (err) {
        caught = err;
      }
      expect(caught, path).toBeInstanceOf(SerializationError);
      expect((caught as SerializationError).path, words).toBe(path);
      expect((caught as SerializationError).message).toContain(words);
    }
  });

  it('names a circular reference', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(() => stringifyKombuJson({ x: loop }, 'kombu-5.2', 'kwargs')).toThrow(
      /kwargs\.x\.self: a circular reference/,
    );
  });
});
