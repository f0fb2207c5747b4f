// Lovage vs BullMQ on the same Redis, in the same run: no-op tasks with
// results kept, one worker process (this one), concurrency 50 on both sides.
//
//   npm run bench                 human-readable table
//   npm run bench -- --json       one JSON object per line
//   npm run bench -- --tasks 5000 scale down (default 50,000)
//
// Keys live under a random prefix per run and are deleted at the end.
import { randomBytes } from 'node:crypto';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const tasksArg = argv.indexOf('--tasks');
const TASKS = tasksArg >= 0 ? Number(argv[tasksArg + 1]) : 50_000;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const CONCURRENCY = 50;
const BATCH = 1_000;
const LATENCY_TASKS = Math.min(5_000, Math.max(500, Math.floor(TASKS / 10)));
const RATE_PER_S = 1_000;

const runId = randomBytes(4).toString('hex');
const lovagePrefix = `lvbench:${runId}:`;
const bullPrefix = `lvbench-bull-${runId}`;
const url = new URL(REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0), maxRetriesPerRequest: null };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await sleep(5);
}

/** Sends `count` calls at a steady rate, in 10 ms ticks. */
async function steady(count: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const perTick = RATE_PER_S / 100;
  const start = Date.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  while (sent < count) {
    const due = Math.min(count, Math.floor(((Date.now() - start) / 1000) * RATE_PER_S) + perTick);
    while (sent < due) inflight.push(send(sent++));
    await sleep(10);
  }
  await Promise.all(inflight);
}

interface Numbers {
  enqueuePerS: number;
  processedPerS: number;
  p50: number;
  p99: number;
}

async function benchLovage(): Promise<Numbers> {
  const app = new Lovage({ broker: REDIS_URL, prefix: lovagePrefix, logLevel: 'warn' });
  const latencies: number[] = [];
  let latencyMode = false;
  const noop = app.task('bench.noop', (sentAt: number) => {
    if (latencyMode) latencies.push(Date.now() - sentAt);
    return null;
  });

  // Bulk enqueue
  const t0 = performance.now();
  for (let i = 0; i < TASKS; i += BATCH) {
    await noop.bulkApply(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => [0] as [number]));
  }
  const enqueueS = (performance.now() - t0) / 1000;

  // Processing
  const worker = app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 });
  const t1 = performance.now();
  await worker.start();
  await waitFor(() => worker.stats.processed >= TASKS);
  const processS = (performance.now() - t1) / 1000;

  // Latency at a steady rate
  latencyMode = true;
  await steady(LATENCY_TASKS, () => noop.delay(Date.now()));
  await waitFor(() => latencies.length >= LATENCY_TASKS);
  await app.close();
  latencies.sort((a, b) => a - b);
  return { enqueuePerS: TASKS / enqueueS, processedPerS: TASKS / processS, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Processed/s for TASKS no-op tasks on a fresh prefix, with events on or off. */
async function processedWith(events: boolean): Promise<number> {
  const app = new Lovage({ broker: REDIS_URL, prefix: `${lovagePrefix}ev${events ? 1 : 0}:`, logLevel: 'warn', events });
  const noop = app.task('bench.noop', (_n: number) => null);
  for (let i = 0; i < TASKS; i += BATCH) {
    await noop.bulkApply(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => [0] as [number]));
  }
  const worker = app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 });
  const t = performance.now();
  await worker.start();
  await waitFor(() => worker.stats.processed >= TASKS);
  const s = (performance.now() - t) / 1000;
  await app.close();
  return TASKS / s;
}

/** Events on versus off in the same run, alternating to spread the machine's noise; best of three each. */
async function benchEventsOverhead(): Promise<{ on: number; off: number }> {
  let on = 0;
  let off = 0;
  for (let round = 0; round < 3; round++) {
    off = Math.max(off, await processedWith(false));
    on = Math.max(on, await processedWith(true));
  }
  return { on, off };
}

async function benchBull(): Promise<Numbers> {
  const name = 'noop';
  const queue = new Queue(name, { connection, prefix: bullPrefix });
  const latencies: number[] = [];
  let latencyMode = false;

  const t0 = performance.now();
  for (let i = 0; i < TASKS; i += BATCH) {
    await queue.addBulk(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => ({ name, data: { sentAt: 0 } })));
  }
  const enqueueS = (performance.now() - t0) / 1000;

  let done = 0;
  const t1 = performance.now();
  const worker = new BullWorker(
    name,
    (job) => {
      if (latencyMode) latencies.push(Date.now() - (job.data as { sentAt: number }).sentAt);
      return Promise.resolve(null);
    },
    { connection, prefix: bullPrefix, concurrency: CONCURRENCY },
  );
  worker.on('completed', () => done++);
  await waitFor(() => done >= TASKS);
  const processS = (performance.now() - t1) / 1000;

  latencyMode = true;
  await steady(LATENCY_TASKS, () => queue.add(name, { sentAt: Date.now() }));
  await waitFor(() => latencies.length >= LATENCY_TASKS);
  await worker.close();
  await queue.close();
  latencies.sort((a, b) => a - b);
  return { enqueuePerS: TASKS / enqueueS, processedPerS: TASKS / processS, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function cleanup(): Promise<void> {
  const client = new Redis(REDIS_URL);
  for (const pattern of [`${lovagePrefix}*`, `${bullPrefix}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  }
  client.disconnect();
}

async function main(): Promise<void> {
  log(`bench: ${TASKS} no-op tasks, concurrency ${CONCURRENCY}, latency at ${RATE_PER_S}/s over ${LATENCY_TASKS} tasks, ${REDIS_URL}`);
  try {
    log('lovage…');
    const lv = await benchLovage();
    log('bullmq…');
    const bq = await benchBull();
    log('lovage events on vs off…');
    const ev = await benchEventsOverhead();
    const rows = [
      { name: 'processed', unit: 'tasks/s', peer: undefined as string | undefined, lovage: lv.processedPerS, peerValue: bq.processedPerS, ratio: lv.processedPerS / bq.processedPerS },
      { name: 'bulk_enqueue', unit: 'tasks/s', lovage: lv.enqueuePerS, peerValue: bq.enqueuePerS, ratio: lv.enqueuePerS / bq.enqueuePerS },
      { name: 'latency_p50', unit: 'ms', lovage: lv.p50, peerValue: bq.p50, ratio: bq.p50 / Math.max(lv.p50, 0.5) },
      { name: 'latency_p99', unit: 'ms', lovage: lv.p99, peerValue: bq.p99, ratio: bq.p99 / Math.max(lv.p99, 0.5) },
      // Cost of the event stream: processed/s lost with events on, versus the same engine with events off.
      { name: 'events_overhead', unit: '%', lovage: (1 - ev.on / ev.off) * 100, peer: 'lovage-events-off', peerValue: 0, ratio: ev.on / ev.off },
      { name: 'processed_events_on', unit: 'tasks/s', lovage: ev.on, peer: 'lovage-events-off', peerValue: ev.off, ratio: ev.on / ev.off },
    ];
    for (const r of rows) {
      const out = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage * 10) / 10, peer: r.peer ?? 'bullmq', peerValue: Math.round(r.peerValue * 10) / 10, ratio: Math.round(r.ratio * 100) / 100 };
      if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${out.name.padEnd(20)} ${String(out.lovage).padStart(10)} ${out.unit.padEnd(8)} ${out.peer.padEnd(17)} ${String(out.peerValue).padStart(10)}  ratio ${out.ratio}\n`);
    }
  } finally {
    await cleanup();
  }
}

await main();
process.exit(0);
