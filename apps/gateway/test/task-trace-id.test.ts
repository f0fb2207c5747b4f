// The trace id of a traced task (the W3C trace id the engine puts on task-sent
// and task-received from the message's traceparent): stored on the task row by
// the ingest, whichever event brings it and in any order, and returned by the
// task detail API. A malformed one is not stored.
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import type { TaskDetail } from '../src/api/schemas.js';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { producer, snapshot } from './ingest-support.js';
import { signedIn, startGateway } from './support.js';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = '0af7651916cd43dd8448eb211c80319c';

function events(): LovageEvent[] {
  const client = producer('client', 1, T0);
  const worker = producer('worker-t', 2, T0);
  const task = (id: string) => ({ id, name: 'mail.send', queue: 'mail', retries: 0 });
  return [
    // Traced by the producer: task-sent and task-received both carry it.
    client({ type: 'task-sent', ...task('traced'), args: '[1]', priority: 0, traceId: TRACE }, 0),
    worker({ type: 'task-received', ...task('traced'), args: '[1]', deliveries: 1, traceId: TRACE }, 5),
    worker({ type: 'task-succeeded', ...task('traced'), runtime: 3, result: 'null' }, 10),
    // Sent by a producer that reports nothing (a Python one with its own traceparent): the worker's event brings it.
    worker({ type: 'task-received', ...task('from-python'), args: '[]', deliveries: 1, traceId: OTHER }, 20),
    // Not traced, and a malformed id from a foreign producer.
    client({ type: 'task-sent', ...task('plain'), args: '[]', priority: 0 }, 30),
    client({ type: 'task-sent', ...task('garbled'), args: '[]', priority: 0, traceId: 'not-a-trace-id' }, 40),
  ];
}

describe('trace ids in the monitor', () => {
  postgresTest('stores the trace id from task-sent or task-received in any order and returns it in the task detail', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url);
    try {
      const all = events();
      await applyBatch(gateway.prisma, all);
      const traceIds = () => gateway.prisma.task.findMany({ select: { id: true, traceId: true }, orderBy: { id: 'asc' } });
      const rows = await traceIds();
      expect(rows).toEqual([
        { id: 'from-python', traceId: OTHER },
        { id: 'garbled', traceId: null },
        { id: 'plain', traceId: null },
        { id: 'traced', traceId: TRACE },
      ]);
      // A replay changes nothing; one event at a time, newest first, gives the same trace ids.
      const before = await snapshot(gateway.prisma);
      expect((await applyBatch(gateway.prisma, all)).tasks).toEqual([]);
      expect(await snapshot(gateway.prisma)).toEqual(before);
      await gateway.prisma.task.deleteMany();
      for (const event of [...all].reverse()) await applyBatch(gateway.prisma, [event]);
      expect(await traceIds()).toEqual(rows);

      const viewer = await signedIn(gateway, 'viewer');
      const detail = async (id: string): Promise<TaskDetail> => {
        const response = await viewer.request('GET', `/api/v1/tasks/${id}`);
        expect(response.status).toBe(200);
        return ((await response.json()) as { task: TaskDetail }).task;
      };
      expect((await detail('traced')).traceId).toBe(TRACE);
      expect((await detail('from-python')).traceId).toBe(OTHER);
      expect((await detail('plain')).traceId).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});
