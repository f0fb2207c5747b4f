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
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Lovage, type EventProducer } from '@lovage/engine';
import { createGateway, migratePostgres, type Gateway } from '@lovage/gateway';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const arg = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const TASKS = arg('--tasks', 50_000);
const COUNT = arg('--count', 100);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WORKERS = 8;
const TARGET_EVENTS_PER_S = 20_000;

const runId = randomBytes(4).toString('hex');
const prefix = `lvbench-gw:${runId}:`;
const log = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
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
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Tasks missing from the database, or whose state is not the final one the events say. */
async function lostTasks(url: string, from: number, to: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE id LIKE $1 AND split_part(id, '-', 2)::int >= $2 AND split_part(id, '-', 2)::int < $3
          AND state = CASE WHEN split_part(id, '-', 2)::int % 20 = 7 THEN 'FAILURE'::task_state ELSE 'SUCCESS'::task_state END`,
      [`${runId}-%`, from, to],
    );
    return to - from - (rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const dbName = `lovage_bench_ingest_${runId}`;
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = databaseUrl(dbName);
  const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'silent' });
  let gateway: Gateway | undefined;
  try {
    await migratePostgres(url);
    const workers = Array.from({ length: WORKERS }, (_, i) => app.events.producer(`bench-worker-${i}@host`));
    const half = Math.floor(TASKS / 2);

    log(`gateway ingest: ${TASKS} tasks (${half} as a backlog, the rest live), batches of up to ${COUNT} stream entries`);
    const backlogEvents = await emitTasks(app, workers, 0, half);
    gateway = await createGateway({
      databaseUrl: url,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      app,
      retention: false,
      ingest: { consumer: 'bench', count: COUNT, blockMs: 50 },
      security: { adminEmail: 'bench@example.com', adminPassword: 'bench-password-1', metricsToken: undefined },
      passwordCost: 1_024,
    });
    // The ingest starts inside createGateway: count only what it applies from here on.
    const appliedAtStart = gateway.ingest!.status().eventsApplied;
    let start = performance.now();
    await waitForIngest(gateway, backlogEvents, 600_000);
    const backlogSeconds = (performance.now() - start) / 1_000;
    const measured = backlogEvents - appliedAtStart;
    const backlog: Phase = { events: backlogEvents, seconds: backlogSeconds, perSecond: measured / backlogSeconds, lost: await lostTasks(url, 0, half) };
    log(`  backlog: ${backlogEvents} events in ${backlogSeconds.toFixed(1)} s`);

    start = performance.now();
    const liveEvents = await emitTasks(app, workers, half, TASKS);
    await waitForIngest(gateway, backlogEvents + liveEvents, 600_000);
    const liveSeconds = (performance.now() - start) / 1_000;
    const live: Phase = { events: liveEvents, seconds: liveSeconds, perSecond: liveEvents / liveSeconds, lost: await lostTasks(url, half, TASKS) };
    log(`  live: ${liveEvents} events in ${liveSeconds.toFixed(1)} s (producers and ingest in one process)`);
    const rssMb = process.memoryUsage().rss / 1_048_576;

    const rows = [
      { name: 'gateway_ingest_backlog', unit: 'events/s', lovage: backlog.perSecond, peer: 'target', peerValue: TARGET_EVENTS_PER_S, ratio: backlog.perSecond / TARGET_EVENTS_PER_S },
      { name: 'gateway_ingest_live', unit: 'events/s', lovage: live.perSecond, peer: 'target', peerValue: TARGET_EVENTS_PER_S, ratio: live.perSecond / TARGET_EVENTS_PER_S },
      { name: 'gateway_ingest_lost_tasks', unit: 'tasks', lovage: backlog.lost + live.lost, peer: 'target', peerValue: 0, ratio: backlog.lost + live.lost === 0 ? 1 : 0 },
      { name: 'gateway_ingest_rss', unit: 'MB', lovage: rssMb, peer: 'target', peerValue: 300, ratio: 300 / rssMb },
    ];
    for (const r of rows) {
      const out = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage * 10) / 10, peer: r.peer, peerValue: r.peerValue, ratio: Math.round(r.ratio * 100) / 100 };
      if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${out.name.padEnd(28)} ${String(out.lovage).padStart(10)} ${out.unit.padEnd(9)} ${out.peer.padEnd(7)} ${String(out.peerValue).padStart(8)}  ratio ${out.ratio}\n`);
    }
  } finally {
    await gateway?.close();
    await app.close();
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    if (!argv.includes('--keep')) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

await main();
process.exit(0);
