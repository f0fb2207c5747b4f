// Retention against a real Postgres: old tasks (with their attempts), old
// heartbeat samples, long-offline workers, old metric buckets and old alert
// notifications are pruned in small batches; recent history, the newest tasks
// within the budget and the notification of an alert still firing stay.
import { randomUUID } from 'node:crypto';
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { loadRetentionConfig } from '../src/retention/config.js';
import { Retention } from '../src/retention/retention.js';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { openDatabase } from '../src/store/database.js';
import { producer, until } from './ingest-support.js';
import { startGateway } from './support.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

/** `count` finished tasks (sent, started, succeeded) starting at `start`, one per second, and a heartbeat each. */
function tasksAt(prefix: string, start: number, count: number): LovageEvent[] {
  const client = producer(`client-${prefix}`, 1, start);
  const worker = producer(`worker-${prefix}`, 2, start);
  const events: LovageEvent[] = [];
  for (let i = 0; i < count; i++) {
    const fields = { id: `${prefix}-${String(i).padStart(4, '0')}`, name: 'job', queue: 'default', retries: 0 };
    events.push(client({ type: 'task-sent', ...fields, args: '[]', priority: 0 }, i * 1_000));
    events.push(worker({ type: 'task-started', ...fields }, i * 1_000 + 10));
    events.push(worker({ type: 'task-succeeded', ...fields, runtime: 5, result: 'null' }, i * 1_000 + 20));
  }
  const body = { queues: ['default'], pool: { kind: 'async', size: 1 }, software: { name: 'lovage', version: '1' }, active: 0, reserved: 0, processed: count, succeeded: count, failed: 0, retried: 0, loadavg: [0, 0, 0], rss: 1, uptime: 1, heartbeatInterval: 2_000 };
  events.push(worker({ type: 'worker-offline', ...body }, count * 1_000));
  return events;
}

describe('retention', () => {
  postgresTest('prunes tasks, attempts, samples, workers, metric buckets and alert notifications past their age, in batches', async ({ postgres }) => {
    const database = await openDatabase({ databaseUrl: postgres.url });
    try {
      const { prisma } = database;
      // Whole minutes, so each group of tasks fills exactly one metric bucket.
      const now = Math.floor(Date.now() / 60_000) * 60_000;
      await applyBatch(prisma, tasksAt('ancient', now - 100 * DAY, 5));
      await applyBatch(prisma, tasksAt('old', now - 8 * DAY, 23));
      await applyBatch(prisma, tasksAt('recent', now - DAY, 4));
      const beat = producer('beat', 3, now - 8 * DAY);
      await applyBatch(prisma, [beat({ type: 'schedule-fired', schedule: 's', task: 'job', taskId: 'scheduled-0', dueAt: new Date(now - 8 * DAY).toISOString(), firedAt: new Date(now - 8 * DAY).toISOString(), manual: false, missed: 0, beat: 'beat' })]);
      expect(await prisma.taskAttempt.count()).toBe(32);
      // Alert notifications: nine resolved long ago, one that fires still (as old), two recent.
      const rule = await prisma.alertRule.create({
        data: { id: randomUUID(), name: 'r', kind: 'worker_offline', params: { kind: 'worker_offline' }, webhookUrl: 'http://127.0.0.1:9/x', webhookFormat: 'json' },
      });
      const notice = (subject: string, status: string, ageMs: number) => ({ ruleId: rule.id, ruleName: 'r', kind: 'worker_offline', subject, status, message: subject, at: new Date(now - ageMs), delivery: 'delivered' });
      await prisma.alertEvent.createMany({
        data: [
          ...Array.from({ length: 9 }, (_, n) => notice(`gone-${n}`, n % 2 === 0 ? 'firing' : 'resolved', 91 * DAY + n * 60_000)),
          notice('recent', 'firing', DAY),
          notice('recent', 'test', 89 * DAY),
        ],
      });
      const stillFiring = await prisma.alertEvent.create({ data: notice('down', 'firing', 120 * DAY) });
      await prisma.alertState.create({ data: { ruleId: rule.id, subject: 'down', firing: true, since: stillFiring.at, eventId: stillFiring.id } });

      const retention = new Retention(prisma, logger, { batchSize: 7, pauseMs: 0 });
      const report = await retention.runOnce(now);
      expect(report).toEqual({ tasks: 29, heartbeats: 2, scheduleRuns: 1, workers: 2, metricBuckets: 1, queueSamples: 0, hourly: 0, alertEvents: 9 });
      expect((await prisma.alertEvent.findMany({ orderBy: { at: 'asc' } })).map((e) => `${e.subject} ${e.status}`)).toEqual(['down firing', 'recent test', 'recent firing']);
      expect((await prisma.task.findMany({ orderBy: { id: 'asc' } })).map((t) => t.id)).toEqual(['recent-0000', 'recent-0001', 'recent-0002', 'recent-0003']);
      expect(await prisma.taskAttempt.count()).toBe(4);
      expect((await prisma.worker.findMany()).map((w) => w.hostname)).toEqual(['worker-recent']);
      // Buckets of 8 days ago stay (90 days by default); the 100-day-old one was rolled up into its hour.
      const minutes = (await prisma.metricBucket.findMany({ orderBy: { minute: 'asc' } })).map((b) => Math.round((now - b.minute.getTime()) / DAY));
      expect(minutes).toEqual([8, 1]);
      expect(await prisma.metricBucketHourly.findMany()).toEqual([expect.objectContaining({ started: 5, succeeded: 5, waitMax: 0.01 })]);
      // A second pass finds nothing more.
      expect(await retention.runOnce(now)).toEqual({ tasks: 0, heartbeats: 0, scheduleRuns: 0, workers: 0, metricBuckets: 0, queueSamples: 0, hourly: 0, alertEvents: 0 });
    } finally {
      await database.close();
    }
  });

  postgresTest('keeps only the newest tasks beyond the row budget', async ({ postgres }) => {
    const database = await openDatabase({ databaseUrl: postgres.url });
    try {
      const { prisma } = database;
      const now = Date.now();
      await applyBatch(prisma, tasksAt('t', now - 3_600_000, 50));
      const report = await new Retention(prisma, logger, { maxTasks: 20, batchSize: 6, pauseMs: 0 }).runOnce(now);
      expect(report.tasks).toBe(30);
      const kept = (await prisma.task.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((t) => t.id);
      expect(kept).toEqual(Array.from({ length: 20 }, (_, i) => `t-${String(30 + i).padStart(4, '0')}`));
    } finally {
      await database.close();
    }
  });

  postgresTest('runs in the background of a gateway and reads its settings from the environment', async ({ postgres }) => {
    expect(loadRetentionConfig({})).toEqual({ taskRetentionMs: 7 * DAY, metricRetentionMs: 90 * DAY, rollupRetentionMs: 730 * DAY, alertRetentionMs: 90 * DAY, maxTasks: 10_000_000 });
    expect(
      loadRetentionConfig({ LOVAGE_RETENTION: '2d', LOVAGE_RETENTION_MAX_TASKS: '5000', LOVAGE_METRICS_RETENTION: '30d', LOVAGE_METRICS_ROLLUP_RETENTION: '365d', LOVAGE_ALERT_RETENTION: '14d' }),
    ).toEqual({ taskRetentionMs: 2 * DAY, metricRetentionMs: 30 * DAY, rollupRetentionMs: 365 * DAY, alertRetentionMs: 14 * DAY, maxTasks: 5_000 });
    expect(() => loadRetentionConfig({ LOVAGE_ALERT_RETENTION: 'soon' })).toThrow(/LOVAGE_ALERT_RETENTION="soon" is invalid/);
    expect(() => loadRetentionConfig({ LOVAGE_RETENTION: 'forever' })).toThrow(/LOVAGE_RETENTION="forever" is invalid/);
    expect(() => loadRetentionConfig({ LOVAGE_RETENTION_MAX_TASKS: '-3' })).toThrow(/LOVAGE_RETENTION_MAX_TASKS="-3" is invalid/);

    const gateway = await startGateway(postgres.url, { retention: { taskRetentionMs: DAY, intervalMs: 100, batchSize: 2 } });
    try {
      const now = Date.now();
      await applyBatch(gateway.prisma, tasksAt('stale', now - 2 * DAY, 5));
      await applyBatch(gateway.prisma, tasksAt('fresh', now - 60_000, 3));
      await until(async () => (await gateway.prisma.task.count()) === 3, 20_000, 'stale tasks pruned');
      expect((await gateway.prisma.task.findMany({ select: { id: true } })).every((t) => t.id.startsWith('fresh-'))).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});
