import type { CeleryEventRecord } from '@lovage/engine/celery';
import { describe, expect, it } from 'vitest';
import { celeryError, CeleryEventTranslator } from './celery-translate.js';

const at = 1_700_000_000;
let clock = 0;
const event = (type: string, fields: Record<string, unknown> = {}, offset = 0): CeleryEventRecord =>
  ({ hostname: 'celery@py', utcoffset: 0, pid: 7, clock: ++clock, uuid: 't1', ...fields, timestamp: at + offset, type });

describe('CeleryEventTranslator', () => {
  it('closes each attempt with its own task-retried even when the next delivery is received first', () => {
    const translator = new CeleryEventTranslator();
    const out = [
      event('task-received', { name: 'proj.charge', args: "('card',)", kwargs: '{}', retries: 0 }, 0),
      event('task-started', {}, 1),
      // A prefork pool may publish the next delivery's receipt before the retry.
      event('task-received', { name: 'proj.charge', args: "('card',)", kwargs: '{}', retries: 1 }, 2),
      event('task-retried', { exception: "Retry('later')", traceback: 'Traceback (most recent call last):\n  ...\ncelery.exceptions.Retry: Retry in 0s' }, 2),
      event('task-started', {}, 3),
      event('task-failed', { exception: 'ExceptionWithTraceback()', traceback: 'Traceback (most recent call last):\n  File "x.py", line 1\nproj.errors.Declined: card declined' }, 5),
    ].map((e) => translator.translate(e));
    expect(out[0]).toMatchObject({ type: 'task-received', id: 't1', name: 'proj.charge', args: JSON.stringify("('card',)"), retries: 0, timestamp: at * 1000 });
    expect(out[1]).toMatchObject({ type: 'task-started', retries: 0, name: 'proj.charge' });
    expect(out[3]).toMatchObject({ type: 'task-retried', attempt: 1, retries: 0, error: { name: 'Retry', message: 'Retry in 0s' } });
    expect(out[4]).toMatchObject({ type: 'task-started', retries: 1 });
    expect(out[5]).toMatchObject({ type: 'task-failed', retries: 1, runtime: 2_000, error: { name: 'Declined', message: 'card declined' } });
  });

  it("closes the retried attempt even when the next delivery has started before the retry is reported", () => {
    const translator = new CeleryEventTranslator();
    const received = (retries: number, offset: number) => event('task-received', { name: 'proj.retry', args: '(2,)', kwargs: '{}', retries }, offset);
    const retried = (offset: number) => event('task-retried', { exception: "Retry('again')", traceback: 'Traceback (most recent call last):\ncelery.exceptions.Retry: Retry in 0s' }, offset);
    // The order a loaded prefork parent publishes them in: each retry after the delivery it published has started.
    const out = [
      received(0, 0),
      event('task-started', {}, 1),
      received(1, 2),
      event('task-started', {}, 3),
      retried(4),
      received(2, 5),
      event('task-started', {}, 6),
      retried(7),
      event('task-succeeded', { result: '2', runtime: 0.5 }, 8),
    ].map((e) => translator.translate(e));
    expect(out.filter((e) => e?.type === 'task-started').map((e) => e.retries)).toEqual([0, 1, 2]);
    expect(out.filter((e) => e?.type === 'task-retried').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(out[8]).toMatchObject({ type: 'task-succeeded', retries: 2 });
  });

  it('reads a worker heartbeat: software, frequency and load, the rest unknown', () => {
    const heartbeat = new CeleryEventTranslator().translate(
      event('worker-heartbeat', { freq: 5, active: 2, processed: 40, loadavg: [0.5, 0.25, 0.1], sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux' }),
    );
    expect(heartbeat).toMatchObject({ type: 'worker-heartbeat', hostname: 'celery@py', software: { version: 'py-celery 5.2.6' }, heartbeatInterval: 5_000, active: 2, processed: 40, queues: [] });
  });

  it("reads task-sent's queue and links, and leaves the priority it does not carry unknown", () => {
    const sent = new CeleryEventTranslator().translate(
      event('task-sent', { name: 'proj.add', args: '(1, 2)', kwargs: "{'x': 1}", retries: 0, eta: '2026-01-02T03:04:05+00:00', expires: null, queue: 'math', exchange: '', routing_key: 'math', root_id: 'root-1', parent_id: null }),
    );
    expect(sent).toMatchObject({ type: 'task-sent', name: 'proj.add', queue: 'math', kwargs: "{'x': 1}", eta: Date.parse('2026-01-02T03:04:05Z'), rootId: 'root-1', parentId: undefined });
    expect(Number.isInteger((sent as { priority: number }).priority)).toBe(false);
  });

  it('skips event types the monitor does not keep', () => {
    expect(new CeleryEventTranslator().translate(event('custom-thing'))).toBeUndefined();
  });
});

describe('celeryError', () => {
  it('takes the name and message from the exception repr when there is no traceback', () => {
    expect(celeryError("KeyError('sku')", undefined)).toEqual({ name: 'KeyError', message: "'sku'" });
    expect(celeryError('something odd', '')).toEqual({ name: 'Error', message: 'something odd' });
  });
});
