// Queue history against a real Postgres and Redis: the sampler stores each
// queue's depth once a minute (two samplers never double it), the ingest turns
// sent and started times into wait histograms whose percentiles are right for
// known waits, the retention rolls both up into hours past the metric
// retention, and the API serves them to a bearer token with the read scope.
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import pino from 'pino';
import { describe, expect, vi } from 'vitest';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { QueueSampler } from '../src/metrics/queue-sampler.js';
import { readQueueDepths } from '../src/metrics/queue-depths.js';
import { Retention } from '../src/retention/retention.js';
import { queueHistory } from '../src/store/queue-history-queries.js';
import { openDatabase } from '../src/store/database.js';
import type { QueueHistory, QueueHistoryList } from '../src/api/schemas.js';
import { engineHarness, producer, until } from './ingest-support.js';
import { errorOf, signedIn, startGateway } from './support.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

/** One task per wait (seconds): sent at `start + i s`, started `wait` seconds later, in queue `queue`. */
function waitedTasks(prefix: string, start: number, queue: string, name: string, waits: readonly number[]): LovageEvent[] {
  const client = producer(`client-${prefix}`, 1, start);
  const worker = producer(`worker-${prefix}`, 2, start);
  return waits.flatMap((wait, i) => {
    const fields = { id: `${prefix}-${i}`, name, queue, retries: 0 };
    return [client({ type: 'task-sent', ...fields, args: '[]', priority: 0 }, i * 1_000), worker({ type: 'task-started', ...fields }, i * 1_000 + wait * 1_000)];
  });
}

/** 1, 2, …, n seconds. */
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The true value is never above what the histogram reads, and within its √2 bin width. */
function expectAbout(read: number | null, truth: number): void {
  expect(read).not.toBeNull();
  expect(read!).toBeGreaterThanOrEqual(truth);
  expect(read!).toBeLessThanOrEqual(truth * Math.SQRT2);
}

describe('queue history', () => {
  postgresTest('the sampler stores each queue once a minute, and a second sampler of the same minute overwrites rather than adds', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const parked = app.task('history.parked', () => null, { queue: 'hist-parked' });
    const database = await openDatabase({ databaseUrl: postgres.url });
    try {
      for (let i = 0; i < 3; i += 1) await parked.delay();
      await parked.applyAsync([], { countdown: '1h' });
      const read = () => readQueueDepths(app, null);
      const one = new QueueSampler(database.prisma, read, logger);
      const two = new QueueSampler(database.prisma, read, logger);
      const now = Date.now();
      expect(await one.sampleOnce(now)).toBeGreaterThanOrEqual(1);
      await two.sampleOnce(now + 1);
      await Promise.all([one.sampleOnce(now + 2), two.sampleOnce(now + 3)]);
      const rows = await database.prisma.queueSample.findMany({ where: { queue: 'hist-parked' } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ cluster: '', ready: 3, delayed: 1, reserved: 0, minute: new Date(Math.floor(now / 60_000) * 60_000) });
      expect(rows[0]!.oldestAge).toBeGreaterThanOrEqual(0);
      // The next minute is a row of its own.
      await one.sampleOnce(now + 60_000);
      expect(await database.prisma.queueSample.count({ where: { queue: 'hist-parked' } })).toBe(2);
    } finally {
      await database.close();
      await harness.close();
    }
  });

  postgresTest('the gateway samples its broker by itself and serves the history and the wait percentiles per queue and task name', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const parked = app.task('history.parked', () => null, { queue: 'hist-served' });
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'gw-history', blockMs: 50 }, queueSampler: { intervalMs: 200 } });
    try {
      for (let i = 0; i < 2; i += 1) await parked.delay();
      await until(async () => (await gateway.prisma.queueSample.count({ where: { queue: 'hist-served', ready: 2 } })) === 1, 20_000, 'a sample of hist-served');

      // Waits of 1..100 s for "a" and 200 s for "b", started within the last few minutes.
      const start = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
      await applyBatch(gateway.prisma, [...waitedTasks('wa', start, 'hist-served', 'a', oneTo(100)), ...waitedTasks('wb', start, 'hist-served', 'b', [200, 200])]);
      // A replayed batch adds nothing.
      await applyBatch(gateway.prisma, waitedTasks('wa', start, 'hist-served', 'a', oneTo(100)));

      const viewer = await signedIn(gateway, 'viewer');
      const response = await viewer.request('GET', '/api/v1/queues/hist-served/history?window=1h');
      expect(response.status).toBe(200);
      const history = (await response.json()) as QueueHistory;
      expect(history.bucketSeconds).toBe(60);
      expect(history.queue.points).toHaveLength(60);
      expect(history.queue.waits.waitCount).toBe(102);
      expect(history.queue.waits.waitMax).toBe(200);
      // Ranks 51, 97 and 101 of 1..100 s plus two of 200 s.
      expectAbout(history.queue.waits.waitP50, 51);
      expectAbout(history.queue.waits.waitP95, 97);
      expect(history.queue.waits.waitP99).toBe(200);
      const [a, b] = history.queue.byTask;
      expect(a).toMatchObject({ name: 'a', waitCount: 100, waitMax: 100 });
      expectAbout(a!.waitP50, 50);
      expectAbout(a!.waitP95, 95);
      expectAbout(a!.waitP99, 99);
      expect(b).toMatchObject({ name: 'b', waitCount: 2, waitP50: 200, waitP99: 200 });
      const sampled = history.queue.points.filter((point) => point.ready !== null);
      expect(sampled.length).toBeGreaterThanOrEqual(1);
      expect(sampled.at(-1)).toMatchObject({ ready: 2, readyMax: 2 });

      const all = (await (await viewer.request('GET', '/api/v1/queues/history?window=6h')).json()) as QueueHistoryList;
      expect(all.queues.map((q) => q.name)).toContain('hist-served');
      expect(all.queues.find((q) => q.name === 'hist-served')!.waits.waitCount).toBe(102);

      const bad = await viewer.request('GET', '/api/v1/queues/hist-served/history?window=2h');
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).field).toBe('window');
      expect((await fetch(`${gateway.url}/api/v1/queues/hist-served/history`)).status).toBe(401);

      // A read-only token sees the history, as it sees the queues.
      const admin = await signedIn(gateway, 'admin');
      const created = (await (await admin.request('POST', '/api/v1/tokens', { body: { name: 'reader', role: 'viewer', scopes: ['read'] } })).json()) as { token: string };
      const byToken = await fetch(`${gateway.url}/api/v1/queues/hist-served/history?window=15m`, { headers: { authorization: `Bearer ${created.token}` } });
      expect(byToken.status).toBe(200);

      const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/^lovage_queue_oldest_waiting_seconds\{queue="hist-served"\} \d/m);
    } finally {
      await gateway.close();
      await harness.close();
    }
  });

  postgresTest('LOVAGE_QUEUE_SAMPLE_INTERVAL_MS sets how often the gateway samples, and a bad value stops the start', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const parked = app.task('history.parked', () => null, { queue: 'hist-env' });
    try {
      vi.stubEnv('LOVAGE_QUEUE_SAMPLE_INTERVAL_MS', 'every minute');
      await expect(startGateway(postgres.url, { app })).rejects.toThrow('LOVAGE_QUEUE_SAMPLE_INTERVAL_MS="every minute" is invalid');

      vi.stubEnv('LOVAGE_QUEUE_SAMPLE_INTERVAL_MS', '1000');
      const gateway = await startGateway(postgres.url, { app });
      try {
        await parked.delay();
        await until(async () => (await gateway.prisma.queueSample.count({ where: { queue: 'hist-env', ready: 1 } })) > 0, 20_000, 'a first sample');
        // The first sample comes a second after the start whatever the interval; a second one this
        // soon comes only from the interval set (the default would take a minute).
        await parked.delay();
        await until(async () => (await gateway.prisma.queueSample.count({ where: { queue: 'hist-env', ready: 2 } })) > 0, 10_000, 'a later sample');
      } finally {
        await gateway.close();
      }
    } finally {
      vi.unstubAllEnvs();
      await harness.close();
    }
  });

  postgresTest('retention rolls minute rows past the metric retention up into hours, once, and prunes hours past the rollup retention', async ({ postgres }) => {
    const database = await openDatabase({ databaseUrl: postgres.url });
    try {
      const { prisma } = database;
      const now = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 60_000;
      const oldHour = Math.floor((now - 100 * DAY) / 3_600_000) * 3_600_000;
      // Two minutes of one old hour (waits 1..10 s and 11..20 s), and a recent minute.
      await applyBatch(prisma, waitedTasks('old1', oldHour + 60_000, 'q-roll', 'job', oneTo(10)));
      await applyBatch(prisma, waitedTasks('old2', oldHour + 30 * 60_000, 'q-roll', 'job', oneTo(20).slice(10)));
      await applyBatch(prisma, waitedTasks('new', now - DAY, 'q-roll', 'job', [5]));
      const depths = [
        { minute: oldHour + 60_000, ready: 4, oldest: 10 },
        { minute: oldHour + 120_000, ready: 8, oldest: 30 },
        { minute: now - DAY, ready: 1, oldest: 1 },
      ];
      for (const d of depths) {
        const sampler = new QueueSampler(prisma, () => Promise.resolve([{ cluster: '', queue: 'q-roll', ready: d.ready, delayed: 1, reserved: 2, oldestAgeSeconds: d.oldest }]), logger);
        await sampler.sampleOnce(d.minute);
      }
      // An hourly row two and a half years old goes.
      await prisma.queueSampleHourly.create({
        data: { hour: new Date(now - 900 * DAY - 30 * 60_000), queue: 'q-ancient', samples: 1, readySum: 1, readyMax: 1, delayedSum: 0, delayedMax: 0, reservedSum: 0, reservedMax: 0 },
      });

      const retention = new Retention(prisma, logger, { batchSize: 7, pauseMs: 0 });
      const [first, concurrent] = await Promise.all([retention.runOnce(now), new Retention(prisma, logger, { pauseMs: 0 }).runOnce(now)]);
      // Two passes at once move each minute row once between them.
      expect(first.metricBuckets + concurrent.metricBuckets).toBe(2);
      expect(first.queueSamples + concurrent.queueSamples).toBe(2);
      expect(first.hourly + concurrent.hourly).toBe(1);

      expect((await prisma.metricBucket.findMany()).map((b) => b.minute.getTime())).toEqual([Math.floor((now - DAY) / 60_000) * 60_000]);
      const [hour] = await prisma.metricBucketHourly.findMany();
      expect(hour).toMatchObject({ hour: new Date(oldHour), taskName: 'job', queue: 'q-roll', started: 20, waitSum: 210, waitMax: 20 });
      const [samples] = await prisma.queueSampleHourly.findMany();
      expect(samples).toMatchObject({ hour: new Date(oldHour), queue: 'q-roll', samples: 2, readySum: 12, readyMax: 8, delayedSum: 2, reservedMax: 2, oldestAgeMax: 30 });
      expect(await prisma.queueSample.count()).toBe(1);

      // The rollup reads back like the minutes did: 1..20 s, merged histograms.
      const [read] = await queueHistory(prisma, { from: new Date(oldHour), to: new Date(oldHour + 3_600_000), stepSeconds: 3_600, queue: { name: 'q-roll', cluster: '' } });
      expect(read!.points).toHaveLength(1);
      expect(read!.points[0]).toMatchObject({ ready: 6, readyMax: 8, delayed: 1, reserved: 2, oldestAgeSeconds: 30, waitCount: 20, waitMax: 20 });
      expectAbout(read!.points[0]!.waitP50, 10);
      expectAbout(read!.points[0]!.waitP95, 19);

      // A late minute row of an hour already rolled up is added to it on the next pass.
      await applyBatch(prisma, waitedTasks('late', oldHour + 50 * 60_000, 'q-roll', 'job', [40]));
      expect(await retention.runOnce(now)).toMatchObject({ metricBuckets: 1, queueSamples: 0, hourly: 0, alertEvents: 0 });
      expect(await prisma.metricBucketHourly.findFirst()).toMatchObject({ started: 21, waitMax: 40, waitSum: 250 });
      expect(await retention.runOnce(now)).toEqual({ tasks: 0, heartbeats: 0, scheduleRuns: 0, workers: 0, metricBuckets: 0, queueSamples: 0, hourly: 0, alertEvents: 0 });
    } finally {
      await database.close();
    }
  });
});
