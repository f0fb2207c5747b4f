// Helpers for the action, live-feed, CSRF, Flower and XSS tests: a gateway that
// ingests a real engine app on a fresh Redis prefix, a real worker running the
// test tasks, and waiting helpers.
import { Redis } from 'ioredis';
import { Lovage, Reject, currentTask, type Worker } from '@lovage/engine';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '@lovage/test-support';
import type { Gateway, GatewayOptions } from '../src/server.js';
import { startGateway } from './support.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** The tasks the test worker knows. */
export function registerTestTasks(app: Lovage): void {
  app.task('tests.add', (a: number, b: number) => a + b);
  app.task('tests.fail', (message: string) => {
    throw new Error(message);
  });
  app.task('tests.echo', (value: unknown) => value);
  app.task('tests.echoAll', (...values: unknown[]) => values);
  // Fails until an operator retries it (the re-run carries the header retriedFrom).
  app.task('tests.flaky', (value: unknown) => {
    if (currentTask().headers.retriedFrom === undefined) throw new Error('flaky: fails until retried');
    return value;
  });
  app.task('tests.sleep', async (ms: number) => {
    await sleep(ms);
    return ms;
  });
  app.task('tests.reject', (reason: string) => {
    throw new Reject(reason);
  });
  // Reports progress and writes a two-line log line per step.
  app.task('tests.report', async (steps: number, ms: number) => {
    for (let i = 1; i <= steps; i++) {
      await sleep(ms);
      currentTask().progress(i / steps, { step: i });
      currentTask().log(`step ${i}\nof ${steps}`, { step: i });
    }
    return steps;
  });
}

export interface Stack {
  prefix: string;
  /** The gateway's own engine app (it registers no task code). */
  app: Lovage;
  gateway: Gateway;
  /** Starts a worker (its own app on the same prefix, with the test tasks). */
  startWorker(options?: { hostname?: string; queues?: string[]; concurrency?: number }): Promise<Worker>;
  /** A producer app with the test tasks registered, for sending tasks the way user code does. */
  producer: Lovage;
  close(): Promise<void>;
}

export async function startStack(databaseUrl: string, label = 'gw-actions', options: Partial<GatewayOptions> = {}): Promise<Stack> {
  const prefix = uniquePrefix(label);
  const apps: Lovage[] = [];
  const make = (tasks: boolean) => {
    const created = new Lovage({ broker: testRedisUrl, backend: testRedisUrl, prefix, logLevel: 'silent', heartbeatInterval: '500ms' });
    if (tasks) registerTestTasks(created);
    apps.push(created);
    return created;
  };
  const app = make(false);
  const producer = make(true);
  const gateway = await startGateway(databaseUrl, { app, ingest: { blockMs: 100 }, ...options });
  const workers: Worker[] = [];
  return {
    prefix,
    app,
    gateway,
    producer,
    async startWorker(options = {}) {
      const worker = make(true).worker({ concurrency: options.concurrency ?? 4, ...options, shutdownGrace: '2s' });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async close() {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await gateway.close();
      await Promise.allSettled(apps.map((created) => created.close()));
      const client = new Redis(testRedisUrl);
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    },
  };
}

/** Waits until the monitor's database holds the task in one of these states. */
export async function taskInState(gateway: Gateway, id: string, states: string[], timeoutMs = 20_000) {
  return until(
    async () => {
      const row = await gateway.prisma.task.findUnique({ where: { id } });
      return row && states.includes(row.state) ? row : null;
    },
    `task ${id} in ${states.join('/')}`,
    timeoutMs,
  );
}
