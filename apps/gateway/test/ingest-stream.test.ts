// The ingest end to end: a real engine (Redis) runs tasks that succeed, retry
// and fail while the gateway consumes the event stream into a real Postgres.
// The ground truth is the engine's result backend, which records every task's
// final state and its attempts as the workers saw them.
import { testRedisUrl } from '@lovage/test-support';
import { Redis } from 'ioredis';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import type { BatchResult } from '../src/ingest/ingest.js';
import { allReady, defineTasks, engineHarness, groundTruthMatches, until } from './ingest-support.js';
import { startGateway } from './support.js';

describe('ingest from the engine event stream', () => {
  postgresTest('every task ends in the database as the result backend has it, with its attempts', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const { add, flaky } = defineTasks(app);
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'gw-a', count: 10, blockMs: 100 } });
    const worker = app.worker({ concurrency: 20, hostname: 'ingest-worker-1' });
    try {
      await worker.start();
      const results = await Promise.all([...Array.from({ length: 40 }, (_, i) => flaky.delay(i)), ...Array.from({ length: 20 }, (_, i) => add.delay(i, 1))]);
      const ids = results.map((r) => r.id);
      await until(() => allReady(app, ids), 60_000, 'all tasks finished');
      await until(async () => (await gateway.prisma.task.count({ where: { id: { in: ids }, state: { in: ['SUCCESS', 'FAILURE'] } } })) === ids.length, 30_000, 'all tasks ingested');
      await until(async () => (await gateway.ingest!.lag()).caughtUp, 30_000, 'ingest caught up');
      await groundTruthMatches(gateway.prisma, app, ids);
      const failedRow = await gateway.prisma.task.findFirstOrThrow({ where: { id: { in: ids }, state: 'FAILURE' } });
      expect(failedRow).toMatchObject({ name: 'net.flaky', errorName: 'TypeError', queue: 'default', worker: 'ingest-worker-1' });
      expect(failedRow.errorMessage).toMatch(/^bad input \d+$/);
      const workerRow = await gateway.prisma.worker.findUniqueOrThrow({ where: { hostname: 'ingest-worker-1' } });
      expect(workerRow.online).toBe(true);
    } finally {
      await worker.close();
      await gateway.close();
      await harness.close();
    }
  });

  postgresTest('a gateway stopped mid-load without acknowledging resumes on restart: nothing lost, nothing doubled', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const { add, flaky } = defineTasks(app);
    const worker = app.worker({ concurrency: 20, hostname: 'crash-worker-1' });
    // Tiny batches, so the stop lands between many of them.
    const ingestOptions = { consumer: 'gw-crash', count: 2, blockMs: 50 };
    let gateway = await startGateway(postgres.url, { app, ingest: ingestOptions });
    try {
      await worker.start();
      const results = await Promise.all([...Array.from({ length: 150 }, (_, i) => flaky.delay(i)), ...Array.from({ length: 50 }, (_, i) => add.delay(i, 2))]);
      const ids = results.map((r) => r.id);
      await until(() => gateway.ingest!.status().batches >= 3, 30_000, 'a few batches applied');
      // Stop as a crash would: the batch in flight (and the one read ahead) is never acknowledged.
      await gateway.ingest!.abandon();
      await gateway.close();
      expect(gateway.ingest!.status().state).toBe('stopped');
      // Entries the stopped consumer read and never acknowledged wait for it in the group.
      const redis = new Redis(testRedisUrl);
      const pending = (await redis.xpending(`${harness.prefix}{events}:stream`, 'lovage-gateway')) as [number, ...unknown[]];
      redis.disconnect();
      expect(pending[0]).toBeGreaterThan(0);

      await until(() => allReady(app, ids), 60_000, 'all tasks finished');
      const finalBeforeRestart = await gateway.prisma.task.count({ where: { id: { in: ids }, state: { in: ['SUCCESS', 'FAILURE'] } } });
      expect(finalBeforeRestart).toBeLessThan(ids.length);
      gateway = await startGateway(postgres.url, { app, ingest: ingestOptions });
      const restarted = gateway;
      await until(async () => (await restarted.prisma.task.count({ where: { id: { in: ids }, state: { in: ['SUCCESS', 'FAILURE'] } } })) === ids.length, 60_000, 'all tasks ingested after the restart');
      await until(async () => (await restarted.ingest!.lag()).caughtUp, 30_000, 'ingest caught up');
      await groundTruthMatches(restarted.prisma, app, ids);
    } finally {
      await worker.close();
      await gateway.close();
      await harness.close();
    }
  });

  postgresTest('a worker that stops sending heartbeats is marked offline, and listeners hear of it', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'gw-offline', blockMs: 50, offlineSweepMs: 100 } });
    const heard: BatchResult[] = [];
    const unsubscribe = gateway.ingest!.onApplied((result) => heard.push(result));
    try {
      const ghost = app.events.producer('ghost-worker');
      ghost.emit({
        type: 'worker-heartbeat',
        queues: ['default'],
        pool: { kind: 'async', size: 4 },
        software: { name: 'lovage', version: '9.9.9' },
        active: 0,
        reserved: 0,
        processed: 3,
        succeeded: 3,
        failed: 0,
        retried: 0,
        loadavg: [0, 0, 0],
        rss: 1_000_000,
        uptime: 1,
        heartbeatInterval: 200,
      });
      await app.events.flush();
      await until(async () => (await gateway.prisma.worker.findUnique({ where: { hostname: 'ghost-worker' } }))?.online === true, 20_000, 'worker online');
      // Listeners hear of a batch just after its commit: wait for them too.
      await until(() => heard.some((r) => r.workers.some((w) => w.hostname === 'ghost-worker' && w.online && w.version === '9.9.9')), 5_000, 'online notified');
      // Two intervals plus a margin (0.9 s here) without a heartbeat: offline.
      await until(async () => (await gateway.prisma.worker.findUniqueOrThrow({ where: { hostname: 'ghost-worker' } })).online === false, 20_000, 'worker offline');
      await until(() => heard.some((r) => r.events === 0 && r.workers.some((w) => w.hostname === 'ghost-worker' && !w.online)), 5_000, 'offline notified');
      const count = heard.length;
      unsubscribe();
      ghost.emit({ type: 'worker-heartbeat', queues: ['default'], pool: { kind: 'async', size: 4 }, software: { name: 'lovage', version: '9.9.9' }, active: 0, reserved: 0, processed: 4, succeeded: 4, failed: 0, retried: 0, loadavg: [0, 0, 0], rss: 1_000_000, uptime: 2, heartbeatInterval: 200 });
      await app.events.flush();
      // A fresh heartbeat brings it back online; the unsubscribed listener hears nothing.
      await until(async () => (await gateway.prisma.worker.findUniqueOrThrow({ where: { hostname: 'ghost-worker' } })).online, 20_000, 'worker back online');
      expect(heard.length).toBe(count);
    } finally {
      unsubscribe();
      await gateway.close();
      await harness.close();
    }
  });
});
