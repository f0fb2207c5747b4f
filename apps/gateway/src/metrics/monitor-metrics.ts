// The task system's metrics on /metrics (Flower has none of the queue ones):
//   lovage_tasks_total{name,state}          task state changes the ingest stored
//   lovage_task_runtime_seconds{name}       runtimes of finished tasks (histogram)
//   lovage_ingest_events_total              events ingested
//   lovage_queue_messages{queue,state}      ready, delayed, reserved, dead per queue (read at scrape)
//   lovage_task_wait_seconds{queue,task}    sent (or ETA) to first start of started tasks (histogram)
//   lovage_queue_oldest_waiting_seconds{queue}  age of each queue's oldest ready message (read at scrape)
//   lovage_workers_online                   workers with a recent heartbeat (read at scrape)
//   lovage_ingest_lag_seconds               stream time the database is behind (read at scrape)
// Counters grow from the ingest's committed batches, so a replayed batch adds nothing.
import type { Lovage } from '@lovage/engine';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { BatchResult, TaskStateName } from '../ingest/batch-result.js';
import type { Ingest } from '../ingest/ingest.js';

/** How many task ids the counters remember, to count a task's state once even when a later batch fills in its fields. */
const REMEMBERED_TASKS = 50_000;
/** A scrape does not wait longer than this on the broker or the database. */
const SCRAPE_TIMEOUT_MS = 2_000;
const QUEUE_STATES = ['ready', 'delayed', 'reserved', 'dead'] as const;
/** Distinct (queue, task) label pairs of the wait histogram; later pairs share task="other" so a flood of task names cannot explode the series. */
export const WAIT_LABEL_PAIRS = 500;
/** Coarser than the stored wait histogram (ingest/wait-histogram.ts): each bucket is a series per label pair. */
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3_600, 21_600, 86_400];
const FINISHED: ReadonlySet<TaskStateName> = new Set(['SUCCESS', 'FAILURE']);

export interface MonitorMetricsSources {
  engine: Lovage | null;
  ingest: Ingest | null;
  prisma: PrismaClient;
  logger: Logger;
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${SCRAPE_TIMEOUT_MS} ms`)), SCRAPE_TIMEOUT_MS).unref()),
  ]);
}

/** Registers the metrics on `registry`; returns the ingest listener that feeds the counters. */
export function registerMonitorMetrics(registry: Registry, sources: MonitorMetricsSources): (result: BatchResult) => void {
  const { engine, ingest, prisma, logger } = sources;
  const tasks = new Counter({
    name: 'lovage_tasks_total',
    help: 'Task state changes stored by the gateway, by task name and state reached (a state passed within one ingest batch is not counted; final states always are)',
    labelNames: ['name', 'state'] as const,
    registers: [registry],
  });
  const runtime = new Histogram({
    name: 'lovage_task_runtime_seconds',
    help: 'Runtime of finished (succeeded or failed) tasks, by task name',
    labelNames: ['name'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const events = new Counter({ name: 'lovage_ingest_events_total', help: 'Events the gateway ingested from the event stream', registers: [registry] });

  const waits = new Histogram({
    name: 'lovage_task_wait_seconds',
    help: 'How long tasks waited between being sent (or their ETA) and their first start, by queue and task name (task="other" past the label budget)',
    labelNames: ['queue', 'task'] as const,
    buckets: WAIT_BUCKETS,
    registers: [registry],
  });
  const waitPairs = new Set<string>();

  // The two broker gauges of one scrape share one read of the queues.
  let queueRead: { at: number; list: Promise<Awaited<ReturnType<Lovage['queues']['list']>>> } | undefined;
  const readQueues = () => {
    if (!engine) return Promise.resolve([]);
    if (!queueRead || Date.now() - queueRead.at > 1_000) queueRead = { at: Date.now(), list: withTimeout(engine.queues.list()) };
    return queueRead.list;
  };

  new Gauge({
    name: 'lovage_queue_oldest_waiting_seconds',
    help: "Age of each queue's oldest ready message in seconds (0 when none waits), read from the broker at scrape time",
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!engine) return;
      try {
        for (const queue of await readQueues()) this.set({ queue: queue.name }, (queue.oldestAgeMs ?? 0) / 1_000);
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not read the oldest waiting ages from the broker');
      }
    },
  });
  new Gauge({
    name: 'lovage_queue_messages',
    help: 'Messages in each queue by state (ready, delayed, reserved, dead), read from the broker at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!engine) return;
      try {
        for (const queue of await readQueues()) {
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, queue[state]);
        }
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not read queue depths from the broker');
      }
    },
  });
  new Gauge({
    name: 'lovage_workers_online',
    help: 'Workers the gateway considers online (heartbeat within the window)',
    registers: [registry],
    async collect() {
      try {
        this.set(await withTimeout(prisma.worker.count({ where: { online: true } })));
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not count online workers');
      }
    },
  });
  new Gauge({
    name: 'lovage_ingest_lag_seconds',
    help: 'How far (in stream time) the database is behind the newest event; 0 when caught up',
    registers: [registry],
    async collect() {
      if (!ingest) return;
      try {
        const lag = await withTimeout(ingest.lag());
        this.set(lag.caughtUp ? 0 : (lag.behindMs ?? 0) / 1000);
      } catch (error) {
        logger.warn({ err: error }, 'metrics: could not read the ingest lag');
      }
    },
  });

  // Insertion-ordered, so the oldest id is the first one evicted.
  const counted = new Map<string, TaskStateName>();
  return (result) => {
    events.inc(result.events);
    for (const wait of result.waits ?? []) {
      const pair = `${wait.queue}\u0001${wait.name}`;
      if (!waitPairs.has(pair) && waitPairs.size < WAIT_LABEL_PAIRS) waitPairs.add(pair);
      waits.observe({ queue: wait.queue, task: waitPairs.has(pair) ? wait.name : 'other' }, wait.seconds);
    }
    for (const task of result.tasks) {
      if (counted.get(task.id) === task.state) continue;
      counted.delete(task.id);
      counted.set(task.id, task.state);
      if (counted.size > REMEMBERED_TASKS) counted.delete(counted.keys().next().value!);
      tasks.inc({ name: task.name, state: task.state });
      if (FINISHED.has(task.state) && task.runtime !== null) runtime.observe({ name: task.name }, task.runtime);
    }
  };
}
