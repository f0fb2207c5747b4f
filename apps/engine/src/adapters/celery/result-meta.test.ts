import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../errors.js';
import { CeleryWireError } from './celery-wire-error.js';
import { decodeResultMeta, encodeResultMeta } from './result-meta.js';

// Stored by a Celery 5.2.6 worker (peer_project) at celery-task-meta-<id>.
const SUCCESS =
  '{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-12-05T15:17:59.562847", "task_id": "d089ae26-65a3-420e-a924-f0ee568ae6f2"}';
const FAILURE =
  '{"status": "FAILURE", "result": {"exc_type": "PeerTaskError", "exc_message": ["boom"], "exc_module": "peer_project.tasks"}, "traceback": "Traceback (most recent call last):\\n  ...\\npeer_project.tasks.PeerTaskError: boom\\n", "children": [], "date_done": "2026-12-05T15:17:59.577747", "task_id": "c3f7bed9-1d70-4bc9-a963-f507e631ebf4"}';
// self.retry() without exc=: RETRY with result null, the retry's AsyncResult as a child, no date_done.
const RETRY =
  '{"status": "RETRY", "result": null, "traceback": "Traceback ...celery.exceptions.Retry: Retry in 0s\\n", "children": [[["84eaf889-9ac3-40cc-8085-65d74e7d9599", null], null]], "date_done": null, "task_id": "84eaf889-9ac3-40cc-8085-65d74e7d9599"}';

describe('decoding', () => {
  it('reads a SUCCESS with its value and naive date_done (read as UTC)', () => {
    expect(decodeResultMeta(SUCCESS)).toMatchObject({
      taskId: 'd089ae26-65a3-420e-a924-f0ee568ae6f2',
      status: 'SUCCESS',
      result: 5,
      exception: undefined,
      traceback: undefined,
      children: [],
      dateDone: new Date('2026-12-05T15:17:59.562Z'),
      extended: undefined,
    });
  });

  it("reads a FAILURE as the exception's type, module, args and Python str()", () => {
    const meta = decodeResultMeta(FAILURE);
    expect(meta.exception).toEqual({
      type: 'PeerTaskError',
      module: 'peer_project.tasks',
      args: ['boom'],
      message: 'boom',
    });
    expect(meta.result).toBeUndefined();
    expect(meta.traceback).toContain('PeerTaskError: boom');
  });

  it('reads a RETRY whose result is null, and an old-style string exc_message', () => {
    const retry = decodeResultMeta(RETRY);
    expect(retry).toMatchObject({
      status: 'RETRY',
      exception: undefined,
      dateDone: undefined,
      children: [[['84eaf889-9ac3-40cc-8085-65d74e7d9599', null], null]],
    });
    const old = decodeResultMeta(
      '{"status": "FAILURE", "result": {"exc_type": "KeyError", "exc_message": "x"}, "task_id": "t"}',
    );
    expect(old.exception).toEqual({ type: 'KeyError', module: undefined, args: ['x'], message: 'x' });
  });

  it('reads result_extended fields, group and parent ids', () => {
    const meta = decodeResultMeta(
      '{"status": "SUCCESS", "result": [1], "traceback": null, "children": [], "date_done": "2026-12-05T15:17:59+00:00", "group_id": "g", "parent_id": "p", "name": "peer.add", "args": [1, 2], "kwargs": {}, "worker": "w1@vm", "retries": 0, "queue": "celery", "task_id": "t"}',
    );
    expect(meta).toMatchObject({
      groupId: 'g',
      parentId: 'p',
      extended: { name: 'peer.add', args: [1, 2], kwargs: {}, worker: 'w1@vm', retries: 0, queue: 'celery' },
    });
  });

  it.each([
    ['not JSON', '{"status": ', 'BAD_JSON', '(result meta)'],
    ['not an object', '[]', 'BAD_FIELD', '(result meta)'],
    ['no status', '{"result": 1, "task_id": "t"}', 'MISSING_FIELD', 'status'],
    ['no task_id', '{"status": "SUCCESS", "result": 1}', 'MISSING_FIELD', 'task_id'],
    [
      'a date_done that is not a date',
      '{"status": "SUCCESS", "date_done": "yesterday", "task_id": "t"}',
      'BAD_FIELD',
      'date_done',
    ],
    [
      'an exception without exc_type',
      '{"status": "FAILURE", "result": {"exc_message": ["x"]}, "task_id": "t"}',
      'MISSING_FIELD',
      'result.exc_type',
    ],
    [
      'children that are not a list',
      '{"status": "SUCCESS", "children": 3, "task_id": "t"}',
      'BAD_FIELD',
      'children',
    ],
  ])('refuses %s', (_name, text, reason, path) => {
    let caught: unknown;
    try {
      decodeResultMeta(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CeleryWireError);
    expect((caught as CeleryWireError).reason).toBe(reason);
    expect((caught as CeleryWireError).path).toBe(path);
  });
});

describe('encoding', () => {
  const done = new Date('2026-12-05T10:00:00.5Z');

  it('writes a SUCCESS in Celery field order with an aware date_done', () => {
    const text = encodeResultMeta(
      { taskId: 't1', status: 'SUCCESS', result: { rows: 3, at: done }, dateDone: done },
      'kombu-5.2',
    );
    expect(text).toBe(
      '{"status":"SUCCESS","result":{"rows":3,"at":"2026-12-05T10:00:00.500000Z"},"traceback":null,"children":[],"date_done":"2026-12-05T10:00:00.500000+00:00","task_id":"t1"}',
    );
  });

  it("writes a FAILURE Python re-raises: the TS error's name as exc_type, its message as the one arg", () => {
    const text = encodeResultMeta(
      {
        taskId: 't2',
        status: 'FAILURE',
        error: { name: 'PaymentDeclined', message: 'card 42' },
        traceback: 'PaymentDeclined: card 42\n    at pay (app.ts:1:1)',
      },
      'kombu-5.2',
    );
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(raw.result).toEqual({
      exc_type: 'PaymentDeclined',
      exc_message: ['card 42'],
      exc_module: 'lovage',
    });
    expect(typeof raw.date_done).toBe('string');
    expect(decodeResultMeta(text).exception).toEqual({
      type: 'PaymentDeclined',
      module: 'lovage',
      args: ['card 42'],
      message: 'card 42',
    });
  });

  it('leaves date_done null for states that are not ready, and writes extended fields', () => {
    const text = encodeResultMeta(
      {
        taskId: 't3',
        status: 'STARTED',
        result: { pid: 1, hostname: 'w@h' },
        extended: { name: 'a.b', args: [1], kwargs: {}, worker: 'w@h', retries: 0, queue: 'celery' },
      },
      'kombu-5.2',
    );
    expect(JSON.parse(text)).toMatchObject({
      date_done: null,
      name: 'a.b',
      args: [1],
      worker: 'w@h',
      queue: 'celery',
      task_id: 't3',
    });
  });

  it('refuses a result JSON cannot carry, naming where it is', () => {
    expect(() =>
      encodeResultMeta({ taskId: 't4', status: 'SUCCESS', result: { rows: [1, 2n] } }, 'kombu-5.2'),
    ).toThrow(SerializationError);
    expect(() =>
      encodeResultMeta({ taskId: 't4', status: 'SUCCESS', result: { rows: [1, 2n] } }, 'kombu-5.2'),
    ).toThrow(/^result\.rows\[1\]: /);
  });
});
