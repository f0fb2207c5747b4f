import { describe, expect, it } from 'vitest';
import type { LovageEvent } from '../../events/events.js';
import { celeryFieldsOf } from './celery-event-log.js';
import { celeryEvent, celeryEventText } from './celery-events.js';

const header = { timestamp: 1796483879562, hostname: 'lovage-1@host "a"', pid: 4242, seq: 9 };
const task = { id: 'd089ae26-65a3-420e-a924-f0ee568ae6f2', name: 'peer.add', queue: 'celery', retries: 1, rootId: 'r1', args: '[2,"x\\n"]' };
const worker = { heartbeatInterval: 2_000, active: 3, processed: 70, loadavg: [0.123, 1, 2.5], software: { version: '0.4.0' } };
const error = { name: 'ValueError', message: "it's\nbad", stack: 'ValueError: bad\n  at f' };

// One of every event the mirror sends on celeryev, as a Lovage worker or producer writes it.
const EVENTS = [
  { type: 'task-sent', ...task, eta: 1796483880000 },
  { type: 'task-received', ...task, parentId: 'p1' },
  { type: 'task-started', ...task },
  { type: 'task-succeeded', ...task, result: '{"ok":true}', runtime: 12.5 },
  { type: 'task-failed', ...task, error },
  { type: 'task-retried', ...task, error: { name: 'Retry', message: 'later' } },
  { type: 'task-revoked', ...task, terminated: true, expired: false },
  { type: 'task-rejected', ...task },
  { type: 'worker-online', ...worker },
  { type: 'worker-heartbeat', ...worker },
  { type: 'worker-offline', ...worker },
].map((event) => ({ ...header, ...event }) as unknown as LovageEvent);

describe("the celeryev mirror's event text", () => {
  it.each(EVENTS.map((event) => [event.type, event] as const))('%s is the JSON of the same event built as an object', (_type, event) => {
    const mapped = celeryFieldsOf(event)!;
    expect(mapped).toBeDefined();
    const sender = { hostname: event.hostname, pid: event.pid, clock: 17, utcoffset: -1 };
    const text = celeryEventText(mapped.type, mapped.fields, sender, event.timestamp / 1000);
    expect(text).toBe(JSON.stringify(celeryEvent(mapped.type, mapped.fields, sender, event.timestamp / 1000)));
  });
});
