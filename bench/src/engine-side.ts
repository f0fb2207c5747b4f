// One side of the engine bench (run.ts): Lovage's scenarios or BullMQ's, in a
// process of its own. run.ts forks this file twice (`--side lovage`, `--side
// bullmq`) and asks each for one scenario at a time over IPC, so the sides'
// rounds still alternate while neither runs on code the other warmed or
// polluted: both use ioredis, and in one process each side's command shapes made
// the shared ioredis code slower for the other. Each scenario deletes its keys
// once measured, so every round starts on the same Redis.
import { FlowProducer, Queue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { Lovage, chord, group } from '@lovage/engine';
import { deleteKeys } from './redis-keys.js';

/** What run.ts asks a side for: a scenario and its round (a number, or 'warmup'). */
export type SideRequest =
  | { op: 'throughput'; round: number | 'warmup' }
  | { op: 'latency'; round: number }
  | { op: 'chord'; round: number }
  /** Lovage only: processed/s with events on or off. */
  | { op: 'events'; on: boolean; round: number };

/** A request on the wire, numbered so its reply finds it. */
export type SideMessage = SideRequest & { id: number };

export type SideReply = { id: number; value: unknown } | { id: number; error: string };

export type SideName = 'lovage' | 'bullmq';

export interface Throughput {
  enqueuePerS: number;
  processedPerS: number;
}

/** Each task's milliseconds from send to start, in the order they started. */
export type Latencies = number[];

export interface SideSettings {
  redisUrl: string;
  /** Every key of the run starts with it. */
  prefix: string;
  tasks: number;
  concurrency: number;
  /** Bulk enqueue call size. */
  batch: number;
  latencyTasks: number;
  ratePerS: number;
  chordMembers: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await sleep(5);
}

/** Sends `count` calls at a steady rate, in 10 ms ticks. */
async function steady(count: number, ratePerS: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const perTick = ratePerS / 100;
  const start = Date.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  while (sent < count) {
    const due = Math.min(count, Math.floor(((Date.now() - start) / 1000) * ratePerS) + perTick);
    while (sent < due) inflight.push(send(sent++));
    await sleep(10);
  }
  await Promise.all(inflight);
}

/** Each scenario takes the request of its own op. */
type Scenarios = { [Op in SideRequest['op']]: (request: Extract<SideRequest, { op: Op }>) => Promise<unknown> };

function lovageScenarios(s: SideSettings, redis: Redis): Partial<Scenarios> {
  /** Bulk enqueue then processing of s.tasks no-op tasks, events on unless asked otherwise. */
  async function drain(prefix: string, events = true): Promise<Throughput> {
    const app = new Lovage({ broker: s.redisUrl, prefix, logLevel: 'warn', events });
    const noop = app.task('bench.noop', (_sentAt: number) => null);
    const t0 = performance.now();
    for (let i = 0; i < s.tasks; i += s.batch) {
      await noop.bulkApply(Array.from({ length: Math.min(s.batch, s.tasks - i) }, () => [0] as [number]));
    }
    const enqueueS = (performance.now() - t0) / 1000;
    const worker = app.worker({ concurrency: s.concurrency, prefetch: s.concurrency * 4 });
    const t1 = performance.now();
    await worker.start();
    await waitFor(() => worker.stats.processed >= s.tasks);
    const processS = (performance.now() - t1) / 1000;
    await app.close();
    await deleteKeys(redis, prefix);
    return { enqueuePerS: s.tasks / enqueueS, processedPerS: s.tasks / processS };
  }

  return {
    throughput: (r) => drain(`${s.prefix}r${r.round}:`),
    events: (r) => drain(`${s.prefix}ev${r.on ? 1 : 0}-${r.round}:`, r.on).then((t) => t.processedPerS),
    /** Send-to-start latency at a steady rate. */
    async latency(r): Promise<Latencies> {
      const prefix = `${s.prefix}latency${r.round}:`;
      const app = new Lovage({ broker: s.redisUrl, prefix, logLevel: 'warn' });
      const latencies: number[] = [];
      const noop = app.task('bench.noop', (sentAt: number) => {
        latencies.push(Date.now() - sentAt);
        return null;
      });
      await app.worker({ concurrency: s.concurrency, prefetch: s.concurrency * 4 }).start();
      await steady(s.latencyTasks, s.ratePerS, () => noop.delay(Date.now()));
      await waitFor(() => latencies.length >= s.latencyTasks);
      await app.close();
      await deleteKeys(redis, prefix);
      return latencies;
    },
    /** Ms from applying a chord of s.chordMembers no-op members to its callback's result. */
    async chord(r): Promise<number> {
      const prefix = `${s.prefix}chord${r.round}:`;
      const app = new Lovage({ broker: s.redisUrl, prefix, logLevel: 'warn' });
      const noop = app.task('bench.noop', (_n: number) => null);
      const collect = app.task('bench.collect', (values: null[]) => values.length);
      const worker = app.worker({ concurrency: s.concurrency, prefetch: s.concurrency * 4 });
      await worker.start();
      const t = performance.now();
      const result = await chord(group(Array.from({ length: s.chordMembers }, (_, i) => noop.s(i))), collect.s()).applyAsync();
      const n = await result.get({ timeout: 120_000 });
      const ms = performance.now() - t;
      if (n !== s.chordMembers) throw new Error(`chord callback got ${n} results`);
      await app.close();
      await deleteKeys(redis, prefix);
      return ms;
    },
  };
}

function bullScenarios(s: SideSettings, redis: Redis): Partial<Scenarios> {
  const url = new URL(s.redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379), db: Number(url.pathname.slice(1) || 0), maxRetriesPerRequest: null };
  const name = 'noop';

  return {
    async throughput(r): Promise<Throughput> {
      const prefix = `${s.prefix}r${r.round}`;
      const queue = new Queue(name, { connection, prefix });
      const t0 = performance.now();
      for (let i = 0; i < s.tasks; i += s.batch) {
        await queue.addBulk(Array.from({ length: Math.min(s.batch, s.tasks - i) }, () => ({ name, data: { sentAt: 0 } })));
      }
      const enqueueS = (performance.now() - t0) / 1000;
      let done = 0;
      const t1 = performance.now();
      const worker = new BullWorker(name, () => Promise.resolve(null), { connection, prefix, concurrency: s.concurrency });
      worker.on('completed', () => done++);
      await waitFor(() => done >= s.tasks);
      const processS = (performance.now() - t1) / 1000;
      await worker.close();
      await queue.close();
      await deleteKeys(redis, `${prefix}:`);
      return { enqueuePerS: s.tasks / enqueueS, processedPerS: s.tasks / processS };
    },
    async latency(r): Promise<Latencies> {
      const prefix = `${s.prefix}latency${r.round}`;
      const queue = new Queue(name, { connection, prefix });
      const latencies: number[] = [];
      const worker = new BullWorker(
        name,
        (job) => {
          latencies.push(Date.now() - (job.data as { sentAt: number }).sentAt);
          return Promise.resolve(null);
        },
        { connection, prefix, concurrency: s.concurrency },
      );
      await worker.waitUntilReady();
      await steady(s.latencyTasks, s.ratePerS, () => queue.add(name, { sentAt: Date.now() }));
      await waitFor(() => latencies.length >= s.latencyTasks);
      await worker.close();
      await queue.close();
      await deleteKeys(redis, `${prefix}:`);
      return latencies;
    },
    /** Ms from adding a flow (a parent with s.chordMembers children) to the parent's completion. */
    async chord(r): Promise<number> {
      const prefix = `${s.prefix}flow${r.round}`;
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
        { connection, prefix, concurrency: s.concurrency },
      );
      worker.on('completed', (job, value: number) => {
        if (job.name === 'parent') resolveParent(value);
      });
      await worker.waitUntilReady();
      const t = performance.now();
      await flow.add({
        name: 'parent',
        queueName: 'flow',
        children: Array.from({ length: s.chordMembers }, (_, i) => ({ name: 'child', queueName: 'flow', data: { i } })),
      });
      const n = await parentDone;
      const ms = performance.now() - t;
      if (n !== s.chordMembers) throw new Error(`flow parent got ${n} children values`);
      await worker.close();
      await flow.close();
      await deleteKeys(redis, `${prefix}:`);
      return ms;
    },
  };
}

/** The child's main: answers run.ts's requests, one at a time, until run.ts disconnects. */
export function serveSide(side: SideName, settings: SideSettings): void {
  const redis = new Redis(settings.redisUrl);
  const scenarios = side === 'lovage' ? lovageScenarios(settings, redis) : bullScenarios(settings, redis);
  process.on('message', (request: SideMessage) => {
    const scenario = scenarios[request.op] as ((r: SideRequest) => Promise<unknown>) | undefined;
    const reply = (r: SideReply): void => void process.send!(r);
    if (!scenario) {
      reply({ id: request.id, error: `the ${side} side has no ${request.op} scenario` });
      return;
    }
    scenario(request).then(
      (value) => reply({ id: request.id, value }),
      (err: unknown) => reply({ id: request.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.once('disconnect', () => {
    redis.disconnect();
    process.exit(0);
  });
  process.send!('ready');
}
