// What a running task reports (task-progress, task-log) as the ingest writes it
// into a real Postgres: the newest progress on the task row, log lines in
// task_logs, a replay writing nothing, and the per-task bound.
import { describe, expect } from 'vitest';
import { postgresTest } from '@lovage/test-support/postgres';
import type { LovageEvent } from '@lovage/engine';
import { applyBatch } from '../src/ingest/apply-batch.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { producer, snapshot, withDatabase } from './ingest-support.js';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const fields = { id: 'rep-1', name: 'reports.build', queue: 'reports', retries: 0 };

const logsOf = (prisma: PrismaClient, taskId: string) =>
  prisma.taskLog.findMany({ where: { taskId }, orderBy: [{ at: 'asc' }, { id: 'asc' }], select: { attempt: true, at: true, level: true, message: true, fields: true } });

function reportingTask(): LovageEvent[] {
  const worker = producer('worker-r', 300, T0);
  return [
    worker({ type: 'task-started', ...fields }, 0),
    worker({ type: 'task-log', ...fields, level: 'info', message: 'starting\n  page 1 of 3', fields: { pages: 3 } }, 5),
    worker({ type: 'task-progress', ...fields, progress: 0.25, meta: { step: 'fetch' } }, 10),
    worker({ type: 'task-log', ...fields, level: 'warn', message: 'slow page' }, 20),
    worker({ type: 'task-progress', ...fields, progress: 0.75, meta: { step: 'render' } }, 30),
    worker({ type: 'task-succeeded', ...fields, runtime: 40, result: '"ok"' }, 40),
  ];
}

describe('task progress and logs in the monitor database', () => {
  postgresTest('keeps the newest progress on the task and every log line, and a replay in any order writes nothing', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const events = reportingTask();
      const first = await applyBatch(prisma, events);
      expect(first.logs?.map((line) => line.message)).toEqual(['starting\n  page 1 of 3', 'slow page']);
      const task = await prisma.task.findUniqueOrThrow({ where: { id: 'rep-1' } });
      expect(task).toMatchObject({ state: 'SUCCESS', progress: 0.75, progressMeta: { step: 'render' }, progressAt: new Date(T0 + 30) });
      const lines = await logsOf(prisma, 'rep-1');
      expect(lines).toEqual([
        { attempt: 1, at: new Date(T0 + 5), level: 'info', message: 'starting\n  page 1 of 3', fields: { pages: 3 } },
        { attempt: 1, at: new Date(T0 + 20), level: 'warn', message: 'slow page', fields: null },
      ]);

      const before = await snapshot(prisma);
      const replay = await applyBatch(prisma, events);
      expect(replay.logs).toEqual([]);
      expect(replay.tasks).toEqual([]);
      for (const event of [...events].reverse()) await applyBatch(prisma, [event]);
      expect(await snapshot(prisma)).toEqual(before);
      expect(await logsOf(prisma, 'rep-1')).toEqual(lines);
    });
  });

  postgresTest('an older progress report arriving late does not replace the newer one', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-r', 301, T0);
      const early = worker({ type: 'task-progress', ...fields, progress: 0.1 }, 10);
      const late = worker({ type: 'task-progress', ...fields, progress: 0.9, meta: { page: 9 } }, 90);
      await applyBatch(prisma, [late]);
      await applyBatch(prisma, [early]);
      // A task first seen by its progress is still named, and a later task-sent fills the rest.
      expect(await prisma.task.findUniqueOrThrow({ where: { id: 'rep-1' } })).toMatchObject({ name: 'reports.build', queue: 'reports', progress: 0.9, progressMeta: { page: 9 } });
    });
  });

  postgresTest('keeps only the newest lines of each task beyond the bound, across batches', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-r', 302, T0);
      const other = { ...fields, id: 'rep-2' };
      const batchOne = Array.from({ length: 7 }, (_, i) => worker({ type: 'task-log', ...fields, level: 'info', message: `line ${i}` }, i));
      batchOne.push(worker({ type: 'task-log', ...other, level: 'info', message: 'other task' }, 3));
      await applyBatch(prisma, batchOne, undefined, { taskLogLimit: 5 });
      expect((await logsOf(prisma, 'rep-1')).map((line) => line.message)).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
      const batchTwo = Array.from({ length: 3 }, (_, i) => worker({ type: 'task-log', ...fields, level: 'error', message: `line ${7 + i}` }, 7 + i));
      await applyBatch(prisma, batchTwo, undefined, { taskLogLimit: 5 });
      expect((await logsOf(prisma, 'rep-1')).map((line) => line.message)).toEqual(['line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
      expect((await logsOf(prisma, 'rep-2')).map((line) => line.message)).toEqual(['other task']);
      // Lines go with their task.
      await prisma.task.delete({ where: { id: 'rep-1' } });
      expect(await prisma.taskLog.count({ where: { taskId: 'rep-1' } })).toBe(0);
    });
  });

  postgresTest('drops a progress outside 0..1 and a log line without a message as malformed', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-r', 303, T0);
      const result = await applyBatch(prisma, [
        worker({ type: 'task-progress', ...fields, progress: 1.5 }, 1),
        worker({ type: 'task-log', ...fields, level: 'info' }, 2),
      ]);
      expect(result.invalid).toBe(2);
      expect(await prisma.task.count()).toBe(0);
    });
  });
});
