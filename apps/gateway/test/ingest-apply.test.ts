// The ingest's writes into a real Postgres, fed synthetic events: idempotency,
// out-of-order delivery, metric buckets, workers and beat's events.
import { describe, expect } from 'vitest';
import { postgresTest } from '@lovage/test-support/postgres';
import type { LovageEvent } from '@lovage/engine';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { producer, snapshot, withDatabase } from './ingest-support.js';

const T0 = Date.parse('2026-11-24T12:00:00.000Z');

/** One task's life: sent by a client, received, started, failed once (retry), then received, started and succeeded. */
function retriedTaskLife(): LovageEvent[] {
  const client = producer('client-1', 100, T0);
  const worker = producer('worker-a', 200, T0);
  const fields = { id: 't-1', name: 'emails.send', queue: 'mail', parentId: 'p-1', rootId: 'r-1' };
  return [
    client({ type: 'task-sent', ...fields, retries: 0, args: '["ann@example.com"]', priority: 3 }, 0),
    worker({ type: 'task-received', ...fields, retries: 0, args: '["ann@example.com"]', priority: 3, deliveries: 1 }, 10),
    worker({ type: 'task-started', ...fields, retries: 0 }, 20),
    worker({ type: 'task-retried', ...fields, retries: 0, attempt: 1, error: { name: 'SmtpError', message: 'busy', stack: 'SmtpError: busy\n  at send' }, nextEta: T0 + 1_000 }, 120),
    worker({ type: 'task-received', ...fields, retries: 1, eta: T0 + 1_000, args: '["ann@example.com"]', priority: 3, deliveries: 1 }, 1_010),
    worker({ type: 'task-started', ...fields, retries: 1, eta: T0 + 1_000 }, 1_020),
    worker({ type: 'task-succeeded', ...fields, retries: 1, eta: T0 + 1_000, runtime: 250, result: '{"ok":true}' }, 1_270),
  ];
}

describe('ingest writes into Postgres', () => {
  postgresTest('replaying the same events, whole or batch by batch, changes nothing', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const events = retriedTaskLife();
      const worker = producer('worker-a', 200, T0 + 5_000);
      const heartbeat = { queues: ['mail'], pool: { kind: 'async', size: 10 }, software: { name: 'lovage', version: '0.1.0' }, active: 1, reserved: 0, processed: 2, succeeded: 1, failed: 0, retried: 1, loadavg: [0.5, 0.4, 0.3], rss: 50_000_000, uptime: 10, heartbeatInterval: 2_000 };
      events.push(worker({ type: 'worker-heartbeat', ...heartbeat }, 0));
      await applyBatch(prisma, events);
      const first = await snapshot(prisma);
      await applyBatch(prisma, events);
      for (const event of events) await applyBatch(prisma, [event]);
      await applyBatch(prisma, [...events].reverse());
      expect(await snapshot(prisma)).toEqual(first);
      const buckets = await prisma.metricBucket.findMany();
      expect(buckets.map((b) => [b.taskName, b.queue, b.received, b.started, b.succeeded, b.retried, b.failed])).toEqual([['emails.send', 'mail', 2, 2, 1, 1, 0]]);
    });
  });

  postgresTest('events delivered in reverse order end in the final state with every field', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const events = retriedTaskLife();
      // One event per batch, newest first: succeeded before started, received and sent.
      for (const event of [...events].reverse()) await applyBatch(prisma, [event]);
      const task = await prisma.task.findUniqueOrThrow({ where: { id: 't-1' } });
      expect(task).toMatchObject({
        name: 'emails.send',
        state: 'SUCCESS',
        args: ['ann@example.com'],
        queue: 'mail',
        worker: 'worker-a',
        priority: 3,
        retries: 1,
        parentId: 'p-1',
        rootId: 'r-1',
        resultPreview: '{"ok":true}',
        errorName: null,
        runtime: 0.25,
        eta: new Date(T0 + 1_000),
        createdAt: new Date(T0),
        sentAt: new Date(T0),
        receivedAt: new Date(T0 + 1_010),
        startedAt: new Date(T0 + 1_020),
        succeededAt: new Date(T0 + 1_270),
        retriedAt: new Date(T0 + 120),
        failedAt: null,
      });
      const attempts = await prisma.taskAttempt.findMany({ where: { taskId: 't-1' }, orderBy: { attempt: 'asc' } });
      expect(attempts.map((a) => ({ ...a, id: undefined }))).toEqual([
        { id: undefined, taskId: 't-1', attempt: 1, worker: 'worker-a', startedAt: new Date(T0 + 20), endedAt: new Date(T0 + 120), outcome: 'RETRY', errorName: 'SmtpError', errorMessage: 'busy', errorStack: 'SmtpError: busy\n  at send', nextRetryAt: new Date(T0 + 1_000), runtime: 0.1 },
        { id: undefined, taskId: 't-1', attempt: 2, worker: 'worker-a', startedAt: new Date(T0 + 1_020), endedAt: new Date(T0 + 1_270), outcome: 'SUCCESS', errorName: null, errorMessage: null, errorStack: null, nextRetryAt: null, runtime: 0.25 },
      ]);
      // The same result as in-order delivery.
      const inOrder = await snapshot(prisma);
      await prisma.taskAttempt.deleteMany();
      await prisma.task.deleteMany();
      await prisma.metricBucket.deleteMany();
      await applyBatch(prisma, events);
      const a = (await snapshot(prisma)) as { tasks: { updatedAt: Date }[]; attempts: { id: bigint }[] };
      const b = inOrder as typeof a;
      // Receipts are counted as they move received_at forward, so newest-first delivery counts only the last one.
      const strip = (s: typeof a) => ({
        ...s,
        tasks: s.tasks.map((t) => ({ ...t, updatedAt: null })),
        attempts: s.attempts.map((x) => ({ ...x, id: null })),
        buckets: (s as unknown as { buckets: { received: number }[] }).buckets.map((x) => ({ ...x, received: null })),
      });
      expect(strip(a)).toEqual(strip(b));
    });
  });

  postgresTest('a late received never overwrites succeeded but fills in the fields the row lacks, the priority among them', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-b', 300, T0);
      const succeeded = worker({ type: 'task-succeeded', id: 't-2', name: 'reports.build', queue: 'reports', retries: 0, runtime: 1_500, result: '42' }, 2_000);
      // No task-sent yet (the producer's events can arrive after the worker's): the priority comes from task-received.
      const received = worker({ type: 'task-received', id: 't-2', name: 'reports.build', queue: 'reports', retries: 0, args: '[1,2]', priority: 7, deliveries: 1 }, 0);
      await applyBatch(prisma, [succeeded]);
      await applyBatch(prisma, [received]);
      const task = await prisma.task.findUniqueOrThrow({ where: { id: 't-2' } });
      expect(task).toMatchObject({ state: 'SUCCESS', args: [1, 2], priority: 7, receivedAt: new Date(T0), succeededAt: new Date(T0 + 2_000), runtime: 1.5, createdAt: new Date(T0) });
      // The attempt was first known by its end; its start was estimated from the runtime.
      const attempt = await prisma.taskAttempt.findFirstOrThrow({ where: { taskId: 't-2' } });
      expect(attempt).toMatchObject({ attempt: 1, outcome: 'SUCCESS', startedAt: new Date(T0 + 500), endedAt: new Date(T0 + 2_000), runtime: 1.5 });
    });
  });

  postgresTest('a revocation closes a running attempt and one in the queue creates none', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-c', 400, T0);
      await applyBatch(prisma, [
        worker({ type: 'task-started', id: 'run', name: 'x', queue: 'q', retries: 0 }, 0),
        worker({ type: 'task-revoked', id: 'run', name: 'x', queue: 'q', retries: 0, terminated: true, expired: false }, 50),
        worker({ type: 'task-revoked', id: 'queued', name: 'x', queue: 'q', retries: 0, terminated: false, expired: false }, 60),
      ]);
      const tasks = await prisma.task.findMany({ orderBy: { id: 'asc' } });
      expect(tasks.map((t) => [t.id, t.state])).toEqual([['queued', 'REVOKED'], ['run', 'REVOKED']]);
      const attempts = await prisma.taskAttempt.findMany();
      expect(attempts.map((a) => [a.taskId, a.attempt, a.outcome, a.runtime])).toEqual([['run', 1, 'REVOKED', 0.05]]);
    });
  });

  postgresTest('two gateways applying one new task at once (a split consumer group) lose none of its events', async ({ postgres }) => {
    // Two databases handles: two connection pools, as two gateways have.
    await withDatabase(postgres.url, async ({ prisma: gatewayA }) => {
      await withDatabase(postgres.url, async ({ prisma: gatewayB }) => {
        const client = producer('client-x', 500, T0);
        const worker = producer('worker-x', 600, T0);
        const ids = Array.from({ length: 40 }, (_, n) => `race-${n}`);
        await Promise.all(
          ids.flatMap((id) => {
            const fields = { id, name: 'race.task', queue: 'race', retries: 0 };
            // Neither half finds the row: each reads "absent" and merges only its own events.
            return [
              applyBatch(gatewayA, [client({ type: 'task-sent', ...fields, args: '[1]' }, 0), worker({ type: 'task-received', ...fields, args: '[1]', deliveries: 1 }, 10)]),
              applyBatch(gatewayB, [worker({ type: 'task-started', ...fields }, 20), worker({ type: 'task-succeeded', ...fields, runtime: 5, result: '1' }, 30)]),
            ];
          }),
        );
        const tasks = await gatewayA.task.findMany({ where: { id: { in: ids } } });
        expect(tasks.filter((task) => task.state !== 'SUCCESS' || task.sentAt === null || task.receivedAt === null).map((task) => task.id)).toEqual([]);
        const [bucket] = await gatewayA.metricBucket.findMany({ where: { taskName: 'race.task' } });
        expect(bucket).toMatchObject({ received: 40, started: 40, succeeded: 40 });
      });
    });
  });

  postgresTest('worker events keep the newest state, one heartbeat sample per 10 s, and offline after the last word', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-d', 500, T0);
      const body = (processed: number) => ({ queues: ['default'], pool: { kind: 'threads', size: 4 }, software: { name: 'lovage', version: '1.2.3' }, active: 0, reserved: 0, processed, succeeded: processed, failed: 0, retried: 0, loadavg: [1, 1, 1], rss: 1_000, uptime: 1, heartbeatInterval: 2_000 });
      const online = worker({ type: 'worker-online', ...body(0) }, 0);
      const beats = [2_000, 4_000, 6_000, 8_000, 10_000, 12_000].map((at, i) => worker({ type: 'worker-heartbeat', ...body(i + 1) }, at));
      const offline = worker({ type: 'worker-offline', ...body(7) }, 12_500);
      // The offline event arrives before the last heartbeats: it still has the last word.
      await applyBatch(prisma, [online, ...beats.slice(0, 3)]);
      await applyBatch(prisma, [offline]);
      await applyBatch(prisma, beats.slice(3));
      const row = await prisma.worker.findUniqueOrThrow({ where: { hostname: 'worker-d' } });
      expect(row).toMatchObject({ online: false, pid: 500, version: '1.2.3', poolKind: 'threads', poolSize: 4, processed: 7n, firstSeen: new Date(T0), lastHeartbeat: new Date(T0 + 12_500) });
      const samples = await prisma.workerHeartbeat.findMany({ orderBy: { at: 'asc' } });
      expect(samples.map((s) => [s.at.getTime() - T0, Number(s.processed)])).toEqual([[0, 4], [10_000, 7]]);
    });
  });

  postgresTest('beat events become schedule runs (with their task) and audited schedule changes, once', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const beat = producer('beat-1', 600, T0);
      const fired = beat({ type: 'schedule-fired', schedule: 'daily-report', task: 'reports.daily', taskId: 'sched-1', dueAt: '2026-11-24T12:00:00.000Z', firedAt: '2026-11-24T12:00:00.050Z', manual: false, missed: 0, beat: 'beat-1' });
      const changed = beat({ type: 'schedule-changed', schedule: 'daily-report', action: 'disabled', actor: 'ann@example.com', changes: ['enabled'], before: { enabled: true }, after: { enabled: false }, at: '2026-11-24T12:01:00.000Z' });
      await applyBatch(prisma, [fired, changed]);
      await applyBatch(prisma, [fired, changed]);
      const runs = await prisma.scheduleRun.findMany({ include: { task: true } });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ scheduleName: 'daily-report', taskId: 'sched-1', dueAt: new Date('2026-11-24T12:00:00.000Z'), firedAt: new Date('2026-11-24T12:00:00.050Z') });
      expect(runs[0]!.task).toMatchObject({ name: 'reports.daily', state: 'PENDING' });
      const changes = await prisma.scheduleChange.findMany();
      expect(changes.map((c) => [c.scheduleName, c.action, c.actor, c.before, c.after])).toEqual([['daily-report', 'disabled', 'ann@example.com', { enabled: true }, { enabled: false }]]);
      // The task's own events then replace what beat's event guessed (its queue).
      const worker = producer('worker-e', 700, T0);
      await applyBatch(prisma, [worker({ type: 'task-received', id: 'sched-1', name: 'reports.daily', queue: 'reports', retries: 0, args: '[]', deliveries: 1 }, 100)]);
      expect(await prisma.task.findUniqueOrThrow({ where: { id: 'sched-1' } })).toMatchObject({ queue: 'reports', state: 'RECEIVED', createdAt: new Date(T0 + 50) });
    });
  });

  postgresTest('malformed events and text with NUL characters are skipped or cleaned, never fail the batch', async ({ postgres }) => {
    await withDatabase(postgres.url, async ({ prisma }) => {
      const worker = producer('worker-f', 800, T0);
      const result = await applyBatch(prisma, [
        { type: 'task-started' },
        null,
        worker({ type: 'task-failed', id: 'nul', name: 'a\u0000b', queue: 'q', retries: 0, runtime: 5, error: { name: 'Error', message: 'bad\u0000byte' } }, 0),
      ]);
      expect(result).toMatchObject({ events: 1, invalid: 2 });
      expect(await prisma.task.findUniqueOrThrow({ where: { id: 'nul' } })).toMatchObject({ name: 'ab', state: 'FAILURE', errorMessage: 'badbyte' });
    });
  });
});
