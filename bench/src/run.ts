// Lovage vs BullMQ on the same Redis, in the same run: no-op tasks with
// results kept, one worker process (this one), concurrency 50 on both sides.
// Bulk enqueue and processed/s are the median of three alternating rounds,
// each on fresh keys (the machine is shared: one round of each swings by a
// third); latency is measured once each, at a steady rate.
//
//   npm run bench                 human-readable table
//   npm run bench -- --json       one JSON object per line
//   npm run bench -- --tasks 5000 scale down (default 50,000)
//
// The chord scenario: a chord of 1,000 no-op members against BullMQ's
// FlowProducer (a parent with 1,000 children), time from apply to the
// callback's (parent's) result, median of three rounds each, alternating.
//
// Keys live under a random prefix per run and are deleted at the end.
import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { Lovage, chord, group } from '@lovage/engine';

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

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

interface Throughput {
  enqueuePerS: number;
  processedPerS: number;
}

interface Latency {
  p50: number;
  p99: number;
}

/** Bulk enqueue then processing of TASKS no-op tasks on a fresh prefix. */
async function lovageThroughput(round: number): Promise<Throughput> {
  const app = new Lovage({ broker: REDIS_URL, prefix: `${lovagePrefix}r${round}:`, logLevel: 'warn' });
  const noop = app.task('bench.noop', (_sentAt: number) => null);
  const t0 = performance.now();
  for (let i = 0; i < TASKS; i += BATCH) {
    await noop.bulkApply(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => [0] as [number]));
  }
  const enqueueS = (performance.now() - t0) / 1000;
  const worker = app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 });
  const t1 = performance.now();
  await worker.start();
  await waitFor(() => worker.stats.processed >= TASKS);
  const processS = (performance.now() - t1) / 1000;
  await app.close();
  return { enqueuePerS: TASKS / enqueueS, processedPerS: TASKS / processS };
}

/** Send-to-start latency at a steady rate. */
async function lovageLatency(): Promise<Latency> {
  const app = new Lovage({ broker: REDIS_URL, prefix: `${lovagePrefix}latency:`, logLevel: 'warn' });
  const latencies: number[] = [];
  const noop = app.task('bench.noop', (sentAt: number) => {
    latencies.push(Date.now() - sentAt);
    return null;
  });
  await app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 }).start();
  await steady(LATENCY_TASKS, () => noop.delay(Date.now()));
  await waitFor(() => latencies.length >= LATENCY_TASKS);
  await app.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
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

async function bullThroughput(round: number): Promise<Throughput> {
  const name = 'noop';
  const prefix = `${bullPrefix}:r${round}`;
  const queue = new Queue(name, { connection, prefix });
  const t0 = performance.now();
  for (let i = 0; i < TASKS; i += BATCH) {
    await queue.addBulk(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => ({ name, data: { sentAt: 0 } })));
  }
  const enqueueS = (performance.now() - t0) / 1000;
  let done = 0;
  const t1 = performance.now();
  const worker = new BullWorker(name, () => Promise.resolve(null), { connection, prefix, concurrency: CONCURRENCY });
  worker.on('completed', () => done++);
  await waitFor(() => done >= TASKS);
  const processS = (performance.now() - t1) / 1000;
  await worker.close();
  await queue.close();
  return { enqueuePerS: TASKS / enqueueS, processedPerS: TASKS / processS };
}

async function bullLatency(): Promise<Latency> {
  const name = 'noop';
  const prefix = `${bullPrefix}:latency`;
  const queue = new Queue(name, { connection, prefix });
  const latencies: number[] = [];
  const worker = new BullWorker(
    name,
    (job) => {
      latencies.push(Date.now() - (job.data as { sentAt: number }).sentAt);
      return Promise.resolve(null);
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  await steady(LATENCY_TASKS, () => queue.add(name, { sentAt: Date.now() }));
  await waitFor(() => latencies.length >= LATENCY_TASKS);
  await worker.close();
  await queue.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const ROUNDS = 3;

/** ROUNDS rounds of each side, alternating, so the machine's swings fall on both. */
async function alternating<T>(lovage: (round: number) => Promise<T>, bull: (round: number) => Promise<T>): Promise<{ lovage: T[]; bull: T[] }> {
  const out: { lovage: T[]; bull: T[] } = { lovage: [], bull: [] };
  for (let round = 0; round < ROUNDS; round++) {
    out.lovage.push(await lovage(round));
    out.bull.push(await bull(round));
  }
  return out;
}

/** Each side's median of ROUNDS alternating rounds (the rounds on stderr). */
async function benchThroughput(): Promise<{ lovage: Throughput; bull: Throughput }> {
  const { lovage: lv, bull: bq } = await alternating(lovageThroughput, bullThroughput);
  const perS = (xs: Throughput[]): string => xs.map((x) => Math.round(x.processedPerS)).join(', ');
  log(`processed rounds (tasks/s): lovage ${perS(lv)}; bullmq ${perS(bq)}`);
  const medianOf = (xs: Throughput[]): Throughput => ({
    enqueuePerS: median(xs.map((x) => x.enqueuePerS)),
    processedPerS: median(xs.map((x) => x.processedPerS)),
  });
  return { lovage: medianOf(lv), bull: medianOf(bq) };
}

const CHORD_MEMBERS = 1_000;

/** Ms from applying a chord of CHORD_MEMBERS no-op members to its callback's result. */
async function lovageChord(round: number): Promise<number> {
  const app = new Lovage({ broker: REDIS_URL, prefix: `${lovagePrefix}chord${round}:`, logLevel: 'warn' });
  const noop = app.task('bench.noop', (_n: number) => null);
  const collect = app.task('bench.collect', (values: null[]) => values.length);
  const worker = app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 });
  await worker.start();
  const t = performance.now();
  const result = await chord(group(Array.from({ length: CHORD_MEMBERS }, (_, i) => noop.s(i))), collect.s()).applyAsync();
  const n = await result.get({ timeout: 120_000 });
  const ms = performance.now() - t;
  if (n !== CHORD_MEMBERS) throw new Error(`chord callback got ${n} results`);
  await app.close();
  return ms;
}

/** Ms from adding a flow (a parent with CHORD_MEMBERS children) to the parent's completion. */
async function bullFlow(round: number): Promise<number> {
  const prefix = `${bullPrefix}:flow${round}`;
  const flow = new FlowProducer({ connection, prefix });
  let resolveParent!: (values: number) => void;
  const parentDone = new Promise<number>((resolve) => (resolveParent = resolve));
  const worker = new BullWorker(
    'flow',
    async (job) => {
      if (job.name !== 'parent') return null;
      const values = await job.getChildrenValues();
      return Object.keys(values).length;
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  worker.on('completed', (job, value: number) => {
    if (job.name === 'parent') resolveParent(value);
  });
  await worker.waitUntilReady();
  const t = performance.now();
  await flow.add({
    name: 'parent',
    queueName: 'flow',
    children: Array.from({ length: CHORD_MEMBERS }, (_, i) => ({ name: 'child', queueName: 'flow', data: { i } })),
  });
  const n = await parentDone;
  const ms = performance.now() - t;
  if (n !== CHORD_MEMBERS) throw new Error(`flow parent got ${n} children values`);
  await worker.close();
  await flow.close();
  return ms;
}

async function benchChord(): Promise<{ lovage: number; bull: number }> {
  const { lovage: lv, bull: bq } = await alternating(lovageChord, bullFlow);
  log(`chord rounds (ms): lovage ${lv.map(Math.round).join(', ')}; bullmq flow ${bq.map(Math.round).join(', ')}`);
  return { lovage: median(lv), bull: median(bq) };
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
    log(`throughput: ${ROUNDS} alternating rounds…`);
    const tp = await benchThroughput();
    log('latency…');
    const lv = { ...tp.lovage, ...(await lovageLatency()) };
    const bq = { ...tp.bull, ...(await bullLatency()) };
    log('lovage events on vs off…');
    const ev = await benchEventsOverhead();
    log(`chord of ${CHORD_MEMBERS} vs FlowProducer…`);
    const ch = await benchChord();
    const rows = [
      { name: 'processed', unit: 'tasks/s', peer: undefined as string | undefined, lovage: lv.processedPerS, peerValue: bq.processedPerS, ratio: lv.processedPerS / bq.processedPerS },
      { name: 'bulk_enqueue', unit: 'tasks/s', lovage: lv.enqueuePerS, peerValue: bq.enqueuePerS, ratio: lv.enqueuePerS / bq.enqueuePerS },
      { name: 'latency_p50', unit: 'ms', lovage: lv.p50, peerValue: bq.p50, ratio: bq.p50 / Math.max(lv.p50, 0.5) },
      { name: 'latency_p99', unit: 'ms', lovage: lv.p99, peerValue: bq.p99, ratio: bq.p99 / Math.max(lv.p99, 0.5) },
      // Cost of the event stream: processed/s lost with events on, versus the same engine with events off.
      { name: 'events_overhead', unit: '%', lovage: (1 - ev.on / ev.off) * 100, peer: 'lovage-events-off', peerValue: 0, ratio: ev.on / ev.off },
      { name: 'processed_events_on', unit: 'tasks/s', lovage: ev.on, peer: 'lovage-events-off', peerValue: ev.off, ratio: ev.on / ev.off },
      // Apply to the callback's result, a chord of 1,000 no-op members; the peer is a FlowProducer parent with 1,000 children.
      { name: 'chord_1000', unit: 'ms', lovage: ch.lovage, peer: 'bullmq-flow', peerValue: ch.bull, ratio: ch.bull / ch.lovage },
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
