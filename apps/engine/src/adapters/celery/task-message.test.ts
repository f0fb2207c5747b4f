import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../errors.js';
import { CeleryWireError, type CeleryWireReason } from './celery-wire-error.js';
import type { KombuEnvelope } from './kombu-envelope.js';
import { decodeTaskMessage, encodeTaskMessage } from './task-message.js';

// LPUSHed by Celery 5.2.6 / kombu 5.2.4 for
// send_task('peer.describe', args=[datetime(2026,1,2,3,4,5,123456,utc), Decimal('1.10'), UUID(int=5)],
//           kwargs={'when': date(2026,1,2)}, countdown=30, expires=600, priority=5)
const CAPTURED =
  '{"body": "W1siMjAyNi0wMS0wMlQwMzowNDowNS4xMjM0NTZaIiwgIjEuMTAiLCAiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDA1Il0sIHsid2hlbiI6ICIyMDI2LTAxLTAyVDAwOjAwOjAwIn0sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "peer.describe", "id": "9cccd0a0-67aa-402f-9ae5-ee860df7922a", "shadow": null, "eta": "2026-12-05T15:18:21.523555+00:00", "expires": "2026-12-05T15:27:51.523555+00:00", "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "9cccd0a0-67aa-402f-9ae5-ee860df7922a", "parent_id": null, "argsrepr": "[datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc), Decimal(\'1.10\'), UUID(\'00000000-0000-0000-0000-000000000005\')]", "kwargsrepr": "{\'when\': datetime.date(2026, 1, 2)}", "origin": "gen14470@vm", "ignore_result": false}, "properties": {"correlation_id": "9cccd0a0-67aa-402f-9ae5-ee860df7922a", "reply_to": "f4e9c223-66d4-3632-8231-3cf40c14c58c", "delivery_mode": 2, "expiration": "600000", "delivery_info": {"exchange": "", "routing_key": "explore1"}, "priority": 5, "body_encoding": "base64", "delivery_tag": "86c8d4da-3741-40a3-a421-a231a0c15243"}}';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A minimal message a Python worker runs, as the text LPUSHed to Redis, to break one part at a time (undefined removes a part). */
function message(
  overrides: {
    body?: unknown;
    headers?: Record<string, unknown>;
    properties?: Record<string, unknown>;
    envelope?: Record<string, unknown>;
  } = {},
): string {
  return JSON.stringify({
    body: b64(JSON.stringify(overrides.body ?? [[2, 3], {}, null])),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { lang: 'py', task: 'proj.add', id: 't-1', ...overrides.headers },
    properties: {
      delivery_info: { exchange: '', routing_key: 'celery' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: 'tag-1',
      ...overrides.properties,
    },
    ...overrides.envelope,
  });
}

function refusal(raw: unknown): CeleryWireError {
  try {
    decodeTaskMessage(raw);
  } catch (err) {
    if (err instanceof CeleryWireError) return err;
    throw err;
  }
  throw new Error('the message was accepted');
}

describe('decoding what Celery 5.2.6 sends', () => {
  it('reads a captured apply_async message: ids, eta, expires, priority, delivery and kombu 5.2 arguments', () => {
    const m = decodeTaskMessage(CAPTURED);
    expect(m).toMatchObject({
      protocol: 2,
      id: '9cccd0a0-67aa-402f-9ae5-ee860df7922a',
      task: 'peer.describe',
      args: [new Date('2026-01-02T03:04:05.123Z'), '1.10', '00000000-0000-0000-0000-000000000005'],
      kwargs: { when: new Date('2026-01-02T00:00:00Z') },
      embed: { callbacks: null, errbacks: null, chain: null, chord: null },
      eta: new Date('2026-12-05T15:18:21.523Z'),
      expires: new Date('2026-12-05T15:27:51.523Z'),
      retries: 0,
      timeLimit: undefined,
      softTimeLimit: undefined,
      rootId: '9cccd0a0-67aa-402f-9ae5-ee860df7922a',
      parentId: undefined,
      origin: 'gen14470@vm',
      lang: 'py',
      ignoreResult: false,
      redelivered: false,
      exchange: '',
      routingKey: 'explore1',
      deliveryTag: '86c8d4da-3741-40a3-a421-a231a0c15243',
      priority: 5,
      correlationId: '9cccd0a0-67aa-402f-9ae5-ee860df7922a',
      replyTo: 'f4e9c223-66d4-3632-8231-3cf40c14c58c',
    });
    expect(m.envelope.properties.expiration).toBe('600000');
  });

  it('reads protocol v1 (everything in the body, empty headers)', () => {
    const m = decodeTaskMessage(
      message({
        headers: { lang: undefined, task: undefined, id: undefined },
        body: {
          task: 'proj.add',
          id: 'v1-id',
          args: [1, 2],
          kwargs: { z: 3 },
          retries: 2,
          eta: '2026-01-02T03:04:05',
          expires: null,
          utc: true,
          taskset: 'g-1',
          timelimit: [30, 20],
          callbacks: null,
          errbacks: null,
          chord: null,
        },
      }),
    );
    expect(m).toMatchObject({
      protocol: 1,
      task: 'proj.add',
      id: 'v1-id',
      args: [1, 2],
      kwargs: { z: 3 },
      retries: 2,
      groupId: 'g-1',
      timeLimit: 30,
      softTimeLimit: 20,
    });
    expect(m.eta).toEqual(new Date('2026-01-02T03:04:05Z'));
  });

  it('reads a hybrid body (v1 object while headers name the task), headers winning as in hybrid_to_proto2', () => {
    const m = decodeTaskMessage(
      message({
        headers: { retries: 4 },
        body: { task: 'other', id: 'body-id', args: [7], kwargs: {}, retries: 1 },
      }),
    );
    expect(m).toMatchObject({ protocol: 1, task: 'proj.add', id: 't-1', args: [7], retries: 4 });
  });

  it('reads a body sent as plain JSON without body_encoding, a missing content-encoding and a zlib-compressed body', () => {
    const plain = message({
      properties: { body_encoding: undefined },
      envelope: { body: '[[1], {}, null]', 'content-encoding': undefined },
    });
    expect(decodeTaskMessage(plain).args).toEqual([1]);
    const compressed = message({
      headers: { compression: 'application/x-gzip' },
      envelope: { body: deflateSync('[[5], {}, null]').toString('base64') },
    });
    expect(decodeTaskMessage(compressed).args).toEqual([5]);
  });

  it('keeps canvas signatures as sent, so they can be published onward unchanged', () => {
    const next = {
      task: 'proj.mul',
      args: [{ __type__: 'decimal', __value__: '2.5' }, '2026-01-02T03:04:05Z'],
      kwargs: {},
      options: {},
      subtask_type: null,
      immutable: false,
    };
    const m = decodeTaskMessage(
      message({ body: [[1], {}, { callbacks: null, errbacks: null, chain: [next], chord: null }] }),
    );
    expect(m.embed.chain).toEqual([next]);
  });

  it('says a message was restored by kombu (redelivered in headers or delivery_info)', () => {
    expect(decodeTaskMessage(message({ headers: { redelivered: true } })).redelivered).toBe(true);
    expect(
      decodeTaskMessage(
        message({
          properties: { delivery_info: { exchange: '', routing_key: 'celery', redelivered: true } },
        }),
      ).redelivered,
    ).toBe(true);
  });
});

describe('refusing what a worker cannot run, with the reason and the field', () => {
  const cases: [string, unknown, CeleryWireReason, string, RegExp?][] = [
    ['an envelope that is not JSON', '{"body": ', 'BAD_JSON', '(envelope)'],
    ['an envelope that is a list', '[1]', 'BAD_FIELD', '(envelope)'],
    ['no properties', message({ envelope: { properties: undefined } }), 'MISSING_FIELD', 'properties'],
    [
      'no delivery_info (kills a Python worker: KeyError exchange)',
      message({ properties: { delivery_info: undefined } }),
      'MISSING_FIELD',
      'properties.delivery_info',
    ],
    [
      'delivery_info without exchange',
      message({ properties: { delivery_info: { routing_key: 'celery' } } }),
      'MISSING_FIELD',
      'properties.delivery_info.exchange',
    ],
    [
      'no delivery_tag (kills a Python worker)',
      message({ properties: { delivery_tag: undefined } }),
      'MISSING_FIELD',
      'properties.delivery_tag',
    ],
    [
      'a priority that is not an integer',
      message({ properties: { priority: 'high' } }),
      'BAD_FIELD',
      'properties.priority',
    ],
    ['a body that is not base64', message({ envelope: { body: 'not base64!' } }), 'BAD_BASE64', 'body'],
    ['a body that is not JSON', message({ envelope: { body: b64('[[1], {}') } }), 'BAD_JSON', 'body'],
    [
      'a two-element body (kills a Python worker)',
      message({ body: [[1], {}] }),
      'BAD_FIELD',
      'body',
      /has 2 element\(s\)/,
    ],
    ['a body that is a string', message({ body: 'hello' }), 'BAD_FIELD', 'body'],
    [
      'no task name',
      message({ headers: { task: undefined }, body: [[1], {}, null] }),
      'MISSING_FIELD',
      'headers.task',
    ],
    ['an empty task name', message({ headers: { task: '' } }), 'BAD_FIELD', 'headers.task'],
    [
      'a v1 body without a task name',
      message({ headers: { task: undefined }, body: { id: 'x', args: [] } }),
      'MISSING_FIELD',
      'body.task',
    ],
    ['no task id', message({ headers: { id: undefined } }), 'MISSING_FIELD', 'headers.id'],
    ['args that are not a list', message({ body: [{ a: 1 }, {}, null] }), 'BAD_FIELD', 'body[0]'],
    ['kwargs that are not a mapping', message({ body: [[], [1], null] }), 'BAD_FIELD', 'body[1]'],
    ['an embed that is not an object', message({ body: [[], {}, 'x'] }), 'BAD_FIELD', 'body[2]'],
    ['an eta Celery cannot parse', message({ headers: { eta: 'tomorrow' } }), 'BAD_FIELD', 'headers.eta'],
    ['a non-integer retries', message({ headers: { retries: '1' } }), 'BAD_FIELD', 'headers.retries'],
    [
      'a timelimit that is not [hard, soft]',
      message({ headers: { timelimit: 30 } }),
      'BAD_FIELD',
      'headers.timelimit',
    ],
    [
      'a pickled body',
      message({ envelope: { 'content-type': 'application/x-python-serialize' } }),
      'UNSUPPORTED_CONTENT',
      'content-type',
    ],
    [
      'no content type',
      message({ envelope: { 'content-type': undefined } }),
      'UNSUPPORTED_CONTENT',
      'content-type',
    ],
    [
      'a compression Lovage does not read',
      message({ headers: { compression: 'application/x-bz2' } }),
      'UNSUPPORTED_CONTENT',
      'headers.compression',
    ],
    [
      'an unknown kombu type tag in the args',
      message({ body: [[{ __type__: 'frozenset', __value__: [] }], {}, null] }),
      'BAD_TYPE_TAG',
      'body[0][0]',
    ],
  ];

  it.each(cases)('%s', (_name, raw, reason, path, words) => {
    const error = refusal(raw);
    expect(error.reason).toBe(reason);
    expect(error.path).toBe(path);
    expect(error.code).toBe('CELERY_WIRE');
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    if (words !== undefined) expect(error.message).toMatch(words);
  });
});

describe('encoding protocol v2', () => {
  const spec = {
    id: 'a1b2',
    task: 'proj.add',
    args: [2, new Date('2026-01-02T03:04:05.678Z')],
    kwargs: { z: 'x' },
    queue: 'emails',
    eta: new Date('2026-12-05T10:00:00.250Z'),
    expires: new Date('2026-12-05T10:10:00Z'),
    now: new Date('2026-12-05T10:00:00Z'),
    priority: 5,
    timeLimit: 30,
    softTimeLimit: 20,
    origin: 'gen42@host',
    replyTo: 'oid-1',
  };

  it('writes the headers, properties and body Celery 5.2.6 writes', () => {
    const envelope = encodeTaskMessage(spec, 'kombu-5.2');
    expect(Object.keys(envelope.headers)).toEqual([
      'lang',
      'task',
      'id',
      'shadow',
      'eta',
      'expires',
      'group',
      'group_index',
      'retries',
      'timelimit',
      'root_id',
      'parent_id',
      'argsrepr',
      'kwargsrepr',
      'origin',
      'ignore_result',
    ]);
    expect(envelope.headers).toMatchObject({
      task: 'proj.add',
      id: 'a1b2',
      eta: '2026-12-05T10:00:00.250000+00:00',
      expires: '2026-12-05T10:10:00.000000+00:00',
      timelimit: [30, 20],
      root_id: 'a1b2',
      retries: 0,
      kwargsrepr: "{'z': 'x'}",
      origin: 'gen42@host',
      ignore_result: false,
    });
    expect(envelope.properties).toMatchObject({
      correlation_id: 'a1b2',
      reply_to: 'oid-1',
      delivery_mode: 2,
      expiration: '600000',
      priority: 5,
      body_encoding: 'base64',
      delivery_info: { exchange: '', routing_key: 'emails' },
    });
    expect(envelope.properties.delivery_tag).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(Buffer.from(envelope.body, 'base64').toString())).toEqual([
      [2, '2026-01-02T03:04:05.678000Z'],
      { z: 'x' },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
  });

  it('decodes back to what was encoded', () => {
    const m = decodeTaskMessage(JSON.stringify(encodeTaskMessage(spec, 'kombu-5.3')));
    expect(m).toMatchObject({
      id: 'a1b2',
      task: 'proj.add',
      args: [2, new Date('2026-01-02T03:04:05.678Z')],
      kwargs: { z: 'x' },
      eta: spec.eta,
      expires: spec.expires,
      priority: 5,
      timeLimit: 30,
      softTimeLimit: 20,
      routingKey: 'emails',
      lang: 'ts',
    });
  });

  it('refuses arguments JSON cannot carry, naming them, and a priority outside 0-9', () => {
    expect(() => encodeTaskMessage({ ...spec, kwargs: { cb: () => 1 } }, 'kombu-5.2')).toThrow(
      SerializationError,
    );
    expect(() => encodeTaskMessage({ ...spec, kwargs: { cb: () => 1 } }, 'kombu-5.2')).toThrow(
      /^kwargs\.cb: /,
    );
    expect(() => encodeTaskMessage({ ...spec, priority: 12 }, 'kombu-5.2')).toThrow(CeleryWireError);
    expect(() => encodeTaskMessage({ ...spec, task: '' }, 'kombu-5.2')).toThrow(
      /task: expected a non-empty string/,
    );
  });

  it('writes a past expires as expiration "0", as Celery does', () => {
    const envelope: KombuEnvelope = encodeTaskMessage(
      { ...spec, expires: new Date('2026-12-05T09:00:00Z') },
      'kombu-5.2',
    );
    expect(envelope.properties.expiration).toBe('0');
  });
});
