// Lovage vs BullMQ on the same Redis, in the same run: no-op tasks with
// results kept, one worker per side, concurrency 50 on both sides.
//
// Each side runs in a process of its own (engine-side.ts, forked twice): both
// use ioredis, and in one process each side ran on ioredis code the other had
// warmed to its own command shapes, which slowed both, by turns. Each side's
// process first drains one unmeasured warm-up round (its code compiled, its
// heap sized: a worker's steady state, which is what users run for hours),
// then the measured rounds alternate between the sides, so the machine's
// swings fall on both. Bulk enqueue and processed/s are each side's median of
// three alternating rounds, each on fresh keys, deleted after it. Latency too
// runs three alternating rounds a side, at a steady rate; its percentiles are
// over the three rounds' tasks together (one round's p99 is its 50 slowest
// tasks: five 10 ms ticks, so one garbage collection more or less moved it).
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
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deleteKeys } from './redis-keys.js';
import { percentile } from './percentile.js';
import { serveSide, type Latencies, type SideMessage, type SideName, type SideReply, type SideRequest, type SideSettings, type Throughput } from './engine-side.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const tasksArg = argv.indexOf('--tasks');
const TASKS = tasksArg >= 0 ? Number(argv[tasksArg + 1]) : 50_000;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const CONCURRENCY = 50;
const RATE_PER_S = 1_000;
const ROUNDS = 3;
const CHORD_MEMBERS = 1_000;
const LATENCY_TASKS = Math.min(5_000, Math.max(500, Math.floor(TASKS / 10)));
const sideArg = argv.indexOf('--side');

const log = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** What both sides are given; only the key prefix differs. */
function settings(prefix: string): SideSettings {
  return {
    redisUrl: REDIS_URL,
    prefix,
    tasks: TASKS,
    concurrency: CONCURRENCY,
    batch: 1_000,
    latencyTasks: LATENCY_TASKS,
    ratePerS: RATE_PER_S,
    chordMembers: CHORD_MEMBERS,
  };
}

interface Side {
  /** Runs one scenario in the side's process; resolves with its figure. */
  ask<T>(request: SideRequest): Promise<T>;
  stop(): Promise<void>;
}

/** Forks this file as one side's process and waits until it is ready for requests. */
async function startSide(side: SideName, prefix: string): Promise<Side> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [...argv, '--side', side, prefix], { execArgv: process.execArgv });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  let ready: (() => void) | undefined;
  child.on('message', (reply: SideReply | 'ready') => {
    if (reply === 'ready') return ready?.();
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if ('error' in reply) waiter?.reject(new Error(`${side}: ${reply.error}`));
    else waiter?.resolve(reply.value);
  });
  void exited.then((code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the ${side} process exited (${code})`));
  });
  await new Promise<void>((resolve, reject) => {
    ready = resolve;
    void exited.then((code) => reject(new Error(`the ${side} process exited (${code}) before it was ready`)));
  });
  return {
    ask: <T>(request: SideRequest) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const message: SideMessage = { ...request, id };
        child.send(message);
      }),
    async stop() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

/** ROUNDS rounds of each side, alternating, so the machine's swings fall on both. */
async function alternating<T>(lovage: (round: number) => Promise<T>, bull: (round: number) => Promise<T>): Promise<{ lovage: T[]; bull: T[] }> {
  const out: { lovage: T[]; bull: T[] } = { lovage: [], bull: [] };
  for (let round = 0; round < ROUNDS; round++) {
    out.lovage.push(await lovage(round));
    out.bull.push(await bull(round));
  }
  return out;
}

const rates = (xs: Throughput[]): string => xs.map((x) => Math.round(x.processedPerS)).join(', ');

/** One unmeasured round each, then each side's median of ROUNDS alternating rounds (the rounds on stderr). */
async function benchThroughput(lovage: Side, bull: Side): Promise<{ lovage: Throughput; bull: Throughput }> {
  const warmLovage = await lovage.ask<Throughput>({ op: 'throughput', round: 'warmup' });
  const warmBull = await bull.ask<Throughput>({ op: 'throughput', round: 'warmup' });
  log(`warm-up round, not counted (tasks/s): lovage ${rates([warmLovage])}; bullmq ${rates([warmBull])}`);
  const { lovage: lv, bull: bq } = await alternating(
    (round) => lovage.ask<Throughput>({ op: 'throughput', round }),
    (round) => bull.ask<Throughput>({ op: 'throughput', round }),
  );
  log(`processed rounds (tasks/s): lovage ${rates(lv)}; bullmq ${rates(bq)}`);
  const medianOf = (xs: Throughput[]): Throughput => ({
    enqueuePerS: median(xs.map((x) => x.enqueuePerS)),
    processedPerS: median(xs.map((x) => x.processedPerS)),
  });
  return { lovage: medianOf(lv), bull: medianOf(bq) };
}

/** Events on versus off in the same run, alternating to spread the machine's noise; best of three each. */
async function benchEventsOverhead(lovage: Side): Promise<{ on: number; off: number }> {
  let on = 0;
  let off = 0;
  for (let round = 0; round < ROUNDS; round++) {
    off = Math.max(off, await lovage.ask<number>({ op: 'events', on: false, round }));
    on = Math.max(on, await lovage.ask<number>({ op: 'events', on: true, round }));
  }
  return { on, off };
}

interface Latency {
  p50: number;
  p99: number;
}

/** Send-to-start latency: ROUNDS alternating rounds a side, percentiles over every round's tasks. */
async function benchLatency(lovage: Side, bull: Side): Promise<{ lovage: Latency; bull: Latency }> {
  const { lovage: lv, bull: bq } = await alternating(
    (round) => lovage.ask<Latencies>({ op: 'latency', round }),
    (round) => bull.ask<Latencies>({ op: 'latency', round }),
  );
  const p99s = (rounds: Latencies[]): string => rounds.map((xs) => percentile([...xs].sort((a, b) => a - b), 99)).join(', ');
  log(`latency rounds' own p99 (ms): lovage ${p99s(lv)}; bullmq ${p99s(bq)}`);
  const pooled = (rounds: Latencies[]): Latency => {
    const all = rounds.flat().sort((a, b) => a - b);
    return { p50: percentile(all, 50), p99: percentile(all, 99) };
  };
  return { lovage: pooled(lv), bull: pooled(bq) };
}

async function benchChord(lovage: Side, bull: Side): Promise<{ lovage: number; bull: number }> {
  const { lovage: lv, bull: bq } = await alternating(
    (round) => lovage.ask<number>({ op: 'chord', round }),
    (round) => bull.ask<number>({ op: 'chord', round }),
  );
  log(`chord rounds (ms): lovage ${lv.map(Math.round).join(', ')}; bullmq flow ${bq.map(Math.round).join(', ')}`);
  return { lovage: median(lv), bull: median(bq) };
}

async function main(): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const prefixes = { lovage: `lvbench:${runId}:`, bullmq: `lvbench-bull-${runId}:` };
  log(`bench: ${TASKS} no-op tasks, concurrency ${CONCURRENCY}, latency at ${RATE_PER_S}/s over ${LATENCY_TASKS} tasks a round, ${REDIS_URL}`);
  const lovage = await startSide('lovage', prefixes.lovage);
  const bull = await startSide('bullmq', prefixes.bullmq);
  try {
    log(`throughput: a warm-up round, then ${ROUNDS} alternating rounds…`);
    const tp = await benchThroughput(lovage, bull);
    log(`latency: ${ROUNDS} alternating rounds…`);
    const lat = await benchLatency(lovage, bull);
    const lv = { ...tp.lovage, ...lat.lovage };
    const bq = { ...tp.bull, ...lat.bull };
    log('lovage events on vs off…');
    const ev = await benchEventsOverhead(lovage);
    log(`chord of ${CHORD_MEMBERS} vs FlowProducer…`);
    const ch = await benchChord(lovage, bull);
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
    await Promise.all([lovage.stop(), bull.stop()]);
    // What a failed round left behind.
    const redis = new Redis(REDIS_URL);
    await Promise.all(Object.values(prefixes).map((prefix) => deleteKeys(redis, prefix)));
    redis.disconnect();
  }
}

if (sideArg >= 0) {
  serveSide(argv[sideArg + 1] as SideName, settings(argv[sideArg + 2]!));
} else {
  await main();
  process.exit(0);
}
