// Helpers for the ingest tests: an engine app on a fresh Redis prefix, synthetic
// events with valid headers, and a snapshot of every table the ingest writes.
import { Redis } from 'ioredis';
import { Lovage, type LovageEvent, type LovageOptions } from '@lovage/engine';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '@lovage/test-support';
import type { PrismaClient } from '../src/generated/prisma/client.js';

export interface EngineHarness {
  prefix: string;
  app(options?: LovageOptions): Lovage;
  close(): Promise<void>;
}

export function engineHarness(): EngineHarness {
  const prefix = uniquePrefix('gw-ingest');
  const apps: Lovage[] = [];
  return {
    prefix,
    app(options = {}) {
      const app = new Lovage({ broker: testRedisUrl, prefix, logLevel: 'silent', ...options });
      apps.push(app);
      return app;
    },
    async close() {
      await Promise.all(apps.map((app) => app.close()));
      const client = new Redis(testRedisUrl);
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** A producer of synthetic events with a proper (hostname, pid, seq) header. */
export function producer(hostname: string, pid = 4242, start = Date.parse('2026-11-24T12:00:00.000Z')) {
  let seq = 0;
  return (event: Record<string, unknown> & { type: string }, offsetMs = seq): LovageEvent =>
    ({ ...event, hostname, pid, seq: ++seq, timestamp: start + offsetMs }) as unknown as LovageEvent;
}

/** Every row of every table the ingest writes, in a stable order, for before/after comparisons. */
export async function snapshot(prisma: PrismaClient): Promise<unknown> {
  const [tasks, attempts, workers, heartbeats, runs, changes, buckets] = await Promise.all([
    prisma.task.findMany({ orderBy: { id: 'asc' } }),
    prisma.taskAttempt.findMany({ orderBy: [{ taskId: 'asc' }, { attempt: 'asc' }] }),
    prisma.worker.findMany({ orderBy: { hostname: 'asc' } }),
    prisma.workerHeartbeat.findMany({ orderBy: [{ hostname: 'asc' }, { at: 'asc' }] }),
    prisma.scheduleRun.findMany({ orderBy: [{ scheduleName: 'asc' }, { dueAt: 'asc' }] }),
    prisma.scheduleChange.findMany({ orderBy: { id: 'asc' } }),
    prisma.metricBucket.findMany({ orderBy: [{ minute: 'asc' }, { taskName: 'asc' }, { queue: 'asc' }] }),
  ]);
  return { tasks, attempts, workers, heartbeats, runs, changes, buckets };
}
