// Gateway ingest throughput: events per second from the engine's Redis event
// stream into Postgres, through the gateway's own Ingest (consumer group, one
// transaction per batch, ack after commit), and proof that none were lost.
//
//   npm run bench:gateway                    (both gateway benches, a table)
//   tsx --conditions=@lovage/source src/gateway-ingest.ts --json --tasks 50000
//
// Two phases on a fresh database and a random Redis prefix:
//   backlog  the stream is filled first, then the gateway drains it (capacity);
//   live     producers emit at full speed while the gateway ingests (sustained).
// Each task has a realistic life: sent, received, started, then succeeded
// (or failed, or retried once and succeeded on its second attempt).
import { Lovage, type EventProducer } from '@lovage/engine';
import type { Gateway } from '@lovage/gateway';
import { benchArgs, createBenchDatabase, printMeasurements, tearDown, progress, REDIS_URL, runId as newRunId, sleep, startBenchGateway, withClient } from './gateway-support.js';

const args = benchArgs();
const TASKS = args.number('--tasks', 200_000);
const COUNT = args.number('--count', 100);
const WORKERS = 8;
const TARGET_EVENTS_PER_S = 20_000;

const runId = newRunId();
const prefix = `lvbench-gw:${runId}:`;
const log = progress(args.json);

/** This process's memory (after a full GC when node runs with --expose-gc, so live data shows). */
function memory(): string {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(0);
  return `rss ${mb(rss)} MB, heap ${mb(heapUsed)} MB used of ${mb(heapTotal)} MB`;
}

/** Emits the events of tasks [from, to) and returns how many events it emitted. */
async function emitTasks(app: Lovage, workers: EventProducer[], from: number, to: number): Promise<number> {
  const client = app.events.app;
  let events = 0;
  for (let i = from; i < to; i++) {
    const worker = workers[i % workers.length]!;
    const fields = { id: `${runId}-${i}`, name: `bench.task${i % 20}`, queue: `q${i % 4}`, retries: 0 };
    const args = JSON.stringify([i, `user${i}@example.com`]);
    client.emit({ type: 'task-sent', ...fields, args, priority: 0 });
    worker.emit({ type: 'task-received', ...fields, args, deliveries: 1 });
    worker.emit({ type: 'task-started', ...fields });
    events += 3;
    if (i % 20 === 7) {
      worker.emit({ type: 'task-failed', ...fields, runtime: 12, error: { name: 'BenchError', message: `failure ${i}` } });
      events += 1;
    } else if (i % 20 === 13) {
      worker.emit({ type: 'task-retried', ...fields, attempt: 1, error: { name: 'Busy', message: 'try later' }, nextEta: Date.now() + 10 });
      const again = { ...fields, retries: 1 };
      worker.emit({ type: 'task-received', ...again, args, deliveries: 1 });
      worker.emit({ type: 'task-started', ...again });
      worker.emit({ type: 'task-succeeded', ...again, runtime: 8, result: String(i) });
      events += 4;
    } else {
      worker.emit({ type: 'task-succeeded', ...fields, runtime: 5, result: String(i) });
      events += 1;
    }
    // Let the producers' buffers reach Redis now and then, as real processes would.
    if (i % 500 === 499) await app.events.flush();
  }
  await app.events.flush();
  return events;
}

interface Phase {
  events: number;
  seconds: number;
  perSecond: number;
  lost: number;
}

async function waitForIngest(gateway: Gateway, expectedEvents: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (gateway.ingest!.status().eventsApplied < expectedEvents) {
    if (Date.now() > deadline) throw new Error(`ingest applied ${gateway.ingest!.status().eventsApplied} of ${expectedEvents} events in ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Tasks missing from the database, or whose state is not the final one the events say. */
async function lostTasks(url: string, from: number, to: number): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE id LIKE $1 AND split_part(id, '-', 2)::int >= $2 AND split_part(id, '-', 2)::int < $3
          AND state = CASE WHEN split_part(id, '-', 2)::int % 20 = 7 THEN 'FAILURE'::task_state ELSE 'SUCCESS'::task_state END`,
      [`${runId}-%`, from, to],
    );
    return to - from - (rows[0]?.n ?? 0);
  });
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('ingest', args.has('--keep'));
  const url = database.url;
  const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'silent' });
  let gateway: Gateway | undefined;
  try {
    const workers = Array.from({ length: WORKERS }, (_, i) => app.events.producer(`bench-worker-${i}@host`));
    const half = Math.floor(TASKS / 2);

    log(`gateway ingest: ${TASKS} tasks (${half} as a backlog, the rest live), batches of up to ${COUNT} stream entries, database ${database.name}`);
    const backlogEvents = await emitTasks(app, workers, 0, half);
    log(`  backlog emitted: ${memory()}`);
    gateway = await startBenchGateway(url, { app, ingest: { consumer: 'bench', count: COUNT, blockMs: 50 } });
    // The ingest starts inside createGateway: count only what it applies from here on.
    const appliedAtStart = gateway.ingest!.status().eventsApplied;
    let start = performance.now();
    await waitForIngest(gateway, backlogEvents, 600_000);
    const backlogSeconds = (performance.now() - start) / 1_000;
    const measured = backlogEvents - appliedAtStart;
    const backlog: Phase = { events: backlogEvents, seconds: backlogSeconds, perSecond: measured / backlogSeconds, lost: await lostTasks(url, 0, half) };
    log(`  backlog: ${backlogEvents} events in ${backlogSeconds.toFixed(1)} s; ${memory()}`);

    start = performance.now();
    const liveEvents = await emitTasks(app, workers, half, TASKS);
    await waitForIngest(gateway, backlogEvents + liveEvents, 600_000);
    const liveSeconds = (performance.now() - start) / 1_000;
    const live: Phase = { events: liveEvents, seconds: liveSeconds, perSecond: liveEvents / liveSeconds, lost: await lostTasks(url, half, TASKS) };
    log(`  live: ${liveEvents} events in ${liveSeconds.toFixed(1)} s (producers and ingest in one process); ${memory()}`);
    const rssMb = process.memoryUsage().rss / 1_048_576;
    const lost = backlog.lost + live.lost;
    if (lost > 0) log(`  LOST: ${lost} tasks are missing or not in their final state`);

    printMeasurements(
      [
        { name: 'gateway_ingest_backlog', unit: 'events/s', lovage: backlog.perSecond, target: TARGET_EVENTS_PER_S, better: 'higher' },
        { name: 'gateway_ingest_live', unit: 'events/s', lovage: live.perSecond, target: TARGET_EVENTS_PER_S, better: 'higher' },
        { name: 'gateway_ingest_lost_tasks', unit: 'tasks', lovage: lost, target: 0, better: 'lower' },
        // Producers, their buffers and the gateway share this process: for information only (the RSS bar is gateway-query's).
        { name: 'gateway_ingest_process_rss', unit: 'MB', lovage: rssMb, target: null, better: 'lower' },
      ],
      args.json,
    );
  } finally {
    await tearDown({ gateway, app, prefix, database });
  }
}

await main();
process.exit(0);
