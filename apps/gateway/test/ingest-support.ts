// Helpers for the ingest tests: an engine app on a fresh Redis prefix, synthetic
// events with valid headers, and a snapshot of every table the ingest writes.
import { Redis } from 'ioredis';
import { currentTask, Lovage, type LovageEvent, type LovageOptions } from '@lovage/engine';
import { expect } from 'vitest';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '@lovage/test-support';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { openDatabase, type Database } from '../src/store/database.js';

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

/** Tasks whose outcome follows from their argument: n % 3 retries before success, or a failure for n % 10 === 9. */
export function defineTasks(app: Lovage) {
  const add = app.task('math.add', (a: number, b: number) => a + b);
  const flaky = app.task(
    'net.flaky',
    (n: number) => {
      if (n % 10 === 9) throw new TypeError(`bad input ${n}`);
      const task = currentTask();
      if (task.retries < n % 3) throw task.retry({ exc: new Error(`busy ${n}`), countdown: 5 });
      return n;
    },
    { maxRetries: 3 },
  );
  return { add, flaky };
}

/** Compares every task's row and attempts with the result backend's record, and the metric sums with the attempts. */
export async function groundTruthMatches(prisma: PrismaClient, app: Lovage, ids: string[]): Promise<void> {
  const rows = await prisma.task.findMany({ where: { id: { in: ids } }, include: { attempts: { orderBy: { attempt: 'asc' } } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  let retriedAttempts = 0;
  let attempts = 0;
  let succeeded = 0;
  let failed = 0;
  for (const id of ids) {
    const truth = await app.asyncResult(id).info();
    const row = byId.get(id);
    expect(truth, `result of ${id}`).toBeDefined();
    expect(row, `row of ${id}`).toBeDefined();
    expect({ id, state: row!.state, retries: row!.retries, worker: row!.worker }).toEqual({ id, state: truth!.state, retries: truth!.retries, worker: truth!.worker });
    expect(row!.attempts.map((a) => ({ attempt: a.attempt, outcome: a.outcome, worker: a.worker, errorName: a.errorName }))).toEqual(
      truth!.attempts.map((a) => ({ attempt: a.attempt, outcome: a.outcome, worker: a.hostname, errorName: a.error?.name ?? null })),
    );
    attempts += truth!.attempts.length;
    retriedAttempts += truth!.attempts.filter((a) => a.outcome === 'RETRY').length;
    if (truth!.state === 'SUCCESS') succeeded++;
    if (truth!.state === 'FAILURE') failed++;
  }
  // Counted once each, however often a batch was replayed.
  const sums = await prisma.metricBucket.aggregate({ _sum: { started: true, succeeded: true, failed: true, retried: true } });
  expect(sums._sum).toEqual({ started: attempts, succeeded, failed, retried: retriedAttempts });
}

export async function allReady(app: Lovage, ids: string[]): Promise<boolean> {
  for (const id of ids) if (!(await app.asyncResult(id).ready())) return false;
  return true;
}

/** Opens the gateway's database at `url` for `fn`, and closes it after. */
export async function withDatabase(url: string, fn: (database: Database) => Promise<void>): Promise<void> {
  const database = await openDatabase({ databaseUrl: url });
  try {
    await fn(database);
  } finally {
    await database.close();
  }
}
