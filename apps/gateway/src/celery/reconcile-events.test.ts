import { decodeResultMeta } from '@lovage/engine/celery';
import { describe, expect, it } from 'vitest';
import { argsRepr, EventSequence, eventFromResult, eventsFromHeld, type StoredTask } from './reconcile-events.js';

const stored: StoredTask = { id: 't1', name: 'proj.add', queue: 'celery', retries: 1, worker: 'celery@a', startedAt: Date.parse('2026-12-06T10:00:00Z') };
const meta = (fields: Record<string, unknown>) => decodeResultMeta(JSON.stringify({ result: null, traceback: null, children: [], date_done: null, task_id: 't1', ...fields }));

describe('reconciliation events', () => {
  it('turns a stored SUCCESS into task-succeeded at date_done, with the result as repr and the runtime from the start seen', () => {
    const event = eventFromResult(meta({ status: 'SUCCESS', result: { total: 'ok' }, date_done: '2026-12-06T10:00:02.500000' }), stored, new EventSequence());
    expect(event).toMatchObject({ type: 'task-succeeded', id: 't1', name: 'proj.add', hostname: 'celery@a', retries: 1, result: "{'total': 'ok'}", runtime: 2_500, timestamp: Date.parse('2026-12-06T10:00:02.500Z') });
  });

  it('turns a FAILURE into task-failed with the exception and traceback, and uses result_extended fields when present', () => {
    const event = eventFromResult(
      meta({ status: 'FAILURE', result: { exc_type: 'Declined', exc_message: ['card 42'], exc_module: 'proj' }, traceback: 'Traceback …\nproj.Declined: card 42', date_done: '2026-12-06T10:00:01', name: 'proj.charge', worker: 'celery@b', retries: 3, args: [42], kwargs: {}, queue: 'pay' }),
      { ...stored, worker: null, startedAt: null },
      new EventSequence(),
    );
    expect(event).toMatchObject({ type: 'task-failed', name: 'proj.charge', hostname: 'celery@b', retries: 3, runtime: 0, error: { name: 'Declined', message: 'card 42', stack: 'Traceback …\nproj.Declined: card 42' } });
  });

  it('says nothing for states that tell nothing new, and leaves the worker unknown when neither the result nor the store names it', () => {
    expect(eventFromResult(meta({ status: 'PENDING' }), stored, new EventSequence())).toBeUndefined();
    expect(eventFromResult(meta({ status: 'RETRY' }), stored, new EventSequence())).toBeUndefined();
    expect(eventFromResult(meta({ status: 'REVOKED', date_done: '2026-12-06T10:00:01' }), { ...stored, worker: null }, new EventSequence())).toMatchObject({ type: 'task-revoked', hostname: '' });
  });

  it('turns what a worker holds into received (and started when active) events, scheduled with its eta, each with its own sequence number', () => {
    const sequence = new EventSequence();
    const request = { id: 'r1', name: 'proj.add', args: [2, 'x'], kwargs: { k: null }, time_start: 1_765_000_000.25, worker_pid: 321, delivery_info: { routing_key: 'q1', redelivered: false } };
    const active = eventsFromHeld('active', request, 'celery@a', 2, sequence);
    expect(active).toMatchObject([
      { type: 'task-received', id: 'r1', queue: 'q1', retries: 2, args: JSON.stringify("(2, 'x')"), kwargs: "{'k': None}", timestamp: 1_765_000_000_250, pid: 321, seq: 1 },
      { type: 'task-started', id: 'r1', hostname: 'celery@a', timestamp: 1_765_000_000_250, seq: 2 },
    ]);
    const scheduled = eventsFromHeld('scheduled', { eta: '2026-12-06T11:00:00+00:00', priority: 0, request: { ...request, id: 'r2', time_start: null } }, 'celery@a', 0, sequence);
    expect(scheduled).toMatchObject([{ type: 'task-received', id: 'r2', eta: Date.parse('2026-12-06T11:00:00Z'), seq: 3 }]);
    expect(eventsFromHeld('reserved', { name: 'no id' }, 'celery@a', 0, sequence)).toEqual([]);
  });

  it("writes args as Python's tuple repr", () => {
    expect([argsRepr([]), argsRepr([1]), argsRepr([1, 'a', true, null]), argsRepr('(already,)')]).toEqual(['()', '(1,)', "(1, 'a', True, None)", '(already,)']);
  });
});
