// /metrics carries the task system's series, not just the gateway process's:
// tasks by state, runtimes, queue depth per queue, workers online, ingest lag.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { defineTasks, engineHarness, until } from './ingest-support.js';
import { startGateway } from './support.js';

/** The value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('task system metrics', () => {
  postgresTest('counts tasks by state once each, observes runtimes, and reads queue depth, workers online and ingest lag', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const { add, flaky } = defineTasks(app);
    const parked = app.task('metrics.parked', () => null, { queue: 'parked' });
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'gw-metrics', blockMs: 50 } });
    const worker = app.worker({ queues: ['default'], concurrency: 4, hostname: 'metrics-worker@test' });
    try {
      await worker.start();
      const results = await Promise.all([...Array.from({ length: 5 }, (_, i) => add.delay(i, 1)), flaky.delay(9)]);
      for (const result of results) await result.get({ timeout: 20_000 }).catch(() => undefined);
      // Nobody consumes "parked": three messages stay ready there.
      for (let i = 0; i < 3; i += 1) await parked.delay();
      await until(async () => (await gateway.prisma.task.count({ where: { state: { in: ['SUCCESS', 'FAILURE'] } } })) === 6, 20_000, 'tasks ingested');
      await until(async () => (await gateway.ingest!.lag()).caughtUp, 20_000, 'ingest caught up');

      const response = await gateway.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      const text = response.body;
      expect(sample(text, 'lovage_tasks_total{name="math.add",state="SUCCESS"}')).toBe(5);
      expect(sample(text, 'lovage_tasks_total{name="net.flaky",state="FAILURE"}')).toBe(1);
      expect(sample(text, 'lovage_task_runtime_seconds_count{name="math.add"}')).toBe(5);
      expect(sample(text, 'lovage_queue_messages{queue="parked",state="ready"}')).toBe(3);
      expect(sample(text, 'lovage_queue_messages{queue="default",state="ready"}')).toBe(0);
      expect(sample(text, 'lovage_workers_online')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'lovage_ingest_lag_seconds')).toBe(0);
      expect(sample(text, 'lovage_ingest_events_total')).toBeGreaterThan(0);
    } finally {
      await worker.close();
      await gateway.close();
      await harness.close();
    }
  });
});
