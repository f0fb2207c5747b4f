// Lovage on RabbitMQ against Lovage on Redis and against Python Celery on the
// same RabbitMQ, in one run: the same number of no-op tasks with results kept
// (on Redis in every case). Lovage: one worker in this process at concurrency
// 50; bulk enqueue is bulkApply in batches of 1,000 (every message confirmed by
// RabbitMQ); processed/s is the drain of the filled queue. Celery: the
// test-support peer project, filled by one Python producer (peer.noop, no
// publisher confirms: kombu's default), drained by `celery worker -P prefork
// -c 2` at Celery's default prefetch; its clock runs from the first message
// taken (the queue gets shorter) to the last result, so start-up is not counted.
// The same Python-filled Celery queue is also drained by a Lovage worker in
// protocol 'celery' (Celery's queues on RabbitMQ, concurrency 50, results on
// Redis), timed the same way: Lovage and Python workers on one RabbitMQ.
//
//   npm run bench:amqp -w @lovage/bench                 a table
//   npm run bench:amqp -w @lovage/bench -- --json       one JSON object per line
//   npm run bench:amqp -w @lovage/bench -- --tasks 5000 scale down (default 20,000)
//   npm run bench:amqp -w @lovage/bench -- --no-celery  Lovage on RabbitMQ and on Redis only
//
// BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) and BENCH_REDIS_URL
// choose the servers. Queues and keys live under a random prefix, deleted at the end.
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { startCeleryWorker } from '@lovage/test-support/celery-worker';
import { peerConfig, runPythonModule, type PeerConfig } from '@lovage/test-support/python-peer';
import { benchArgs, progress, REDIS_URL, runId, sleep } from './gateway-support.js';

const args = benchArgs();
const TASKS = args.number('--tasks', 20_000);
const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CONCURRENCY = 50;
const BATCH = 1_000;
const QUEUE = 'bench';
const log = progress(args.json);
const id = runId();

interface Numbers {
  enqueuePerS: number;
  processedPerS: number;
}

async function run(broker: string, prefix: string): Promise<Numbers> {
  const app = new Lovage({ broker, backend: REDIS_URL, prefix, logLevel: 'warn', defaultQueue: QUEUE });
  const noop = app.task('bench.noop', (_n: number) => null);
  const t0 = performance.now();
  for (let i = 0; i < TASKS; i += BATCH) {
    await noop.bulkApply(Array.from({ length: Math.min(BATCH, TASKS - i) }, () => [0] as [number]));
  }
  const enqueueS = (performance.now() - t0) / 1000;
  const worker = app.worker({ concurrency: CONCURRENCY, prefetch: CONCURRENCY * 4 });
  const t1 = performance.now();
  await worker.start();
  while (worker.stats.processed < TASKS) await new Promise((r) => setTimeout(r, 5));
  const processS = (performance.now() - t1) / 1000;
  await app.close();
  return { enqueuePerS: TASKS / enqueueS, processedPerS: TASKS / processS };
}

/** Celery queues this run filled, deleted by cleanup(). */
const celeryQueues: string[] = [];

/** Starts a worker on the Celery queue of `config`; resolves to its stop. */
type CeleryDrainer = (config: PeerConfig) => Promise<() => Promise<void>>;

/** A Python `celery worker -P prefork -c 2` at Celery's default prefetch. */
const pythonDrainer: CeleryDrainer = async (config) => {
  const worker = await startCeleryWorker({ config, name: 'bench-amqp', pool: 'prefork', concurrency: 2, waitForPing: false, readyTimeoutMs: 120_000 });
  return () => worker.stop();
};

/** A Lovage worker in protocol 'celery' on the same RabbitMQ (push consumption, results on Redis). */
const lovageDrainer: CeleryDrainer = async (config) => {
  const app = new Lovage({ protocol: 'celery', broker: AMQP_URL, backend: REDIS_URL, prefix: `lvbench-amqp-celery:${id}:`, defaultQueue: config.queue, logLevel: 'warn' });
  app.task('peer.noop', () => null);
  await app.worker({ concurrency: CONCURRENCY }).start();
  return () => app.close();
};

/** A Celery queue on the same RabbitMQ filled by a Python producer, then timed while `drainer`'s worker empties it. */
async function runCelery(drainer: CeleryDrainer): Promise<Numbers> {
  const config = peerConfig('bench-amqp-celery', { brokerUrl: AMQP_URL, resultBackend: REDIS_URL, prefetchMultiplier: 4, quietTasks: true });
  const { stdout } = await runPythonModule('peer_project.produce', config, { args: [String(TASKS)], timeoutMs: 900_000 });
  const sent = JSON.parse(stdout.trimEnd().split('\n').pop() ?? '') as { ids: string[]; seconds: number };
  const redis = new Redis(REDIS_URL);
  const model = await connect(AMQP_URL);
  const ch = await model.createChannel();
  const resultKeys = sent.ids.map((taskId) => `celery-task-meta-${taskId}`);
  let stop: (() => Promise<void>) | undefined;
  try {
    let firstTake: number | undefined;
    let done: number | undefined;
    // Passive declares give the queue's ready count (no management plugin needed).
    const watch = (async () => {
      for (;;) {
        const { messageCount } = await ch.checkQueue(config.queue);
        const now = performance.now();
        if (firstTake === undefined && messageCount < TASKS) firstTake = now;
        if (messageCount === 0 && (await redis.exists(resultKeys.at(-1)!)) === 1) {
          done = now;
          return;
        }
        await sleep(10);
      }
    })();
    stop = await drainer(config);
    await watch;
    let ok = 0;
    for (let i = 0; i < resultKeys.length; i += 1_000) ok += (await redis.mget(resultKeys.slice(i, i + 1_000))).filter((r) => r?.includes('"SUCCESS"')).length;
    if (ok !== TASKS) throw new Error(`celery: ${ok} of ${TASKS} results are SUCCESS`);
    return { enqueuePerS: TASKS / sent.seconds, processedPerS: TASKS / (((done ?? 0) - (firstTake ?? 0)) / 1000) };
  } finally {
    await stop?.();
    // Deleted again at the very end: a worker on its way out may declare it once more.
    await ch.deleteQueue(config.queue);
    celeryQueues.push(config.queue);
    await model.close();
    for (let i = 0; i < resultKeys.length; i += 1_000) await redis.del(...resultKeys.slice(i, i + 1_000));
    redis.disconnect();
  }
}

async function cleanup(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  for (const pattern of [`lvbench-amqp:${id}:*`, `lvbench-amqp-redis:${id}:*`, `lvbench-amqp-celery:${id}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  redis.disconnect();
  // The amqp adapter's names for this prefix and queue (no delayed tasks here, so no delay levels).
  const names = `lvbench-amqp:${id}`;
  const model = await connect(AMQP_URL);
  const ch = await model.createChannel();
  for (const queue of [`${names}.ready.${QUEUE}`, `${names}.dead.${QUEUE}`, `${names}.queues`, ...celeryQueues, ...celeryQueues.map((q) => `_lovage.dead.${q}`)]) {
    await ch.deleteQueue(queue);
  }
  // Celery names a queue's direct exchange after the queue.
  for (const queue of celeryQueues) await ch.deleteExchange(queue);
  await ch.deleteExchange(`${names}.control`);
  await model.close();
}

async function main(): Promise<void> {
  log(`bench amqp: ${TASKS} no-op tasks, concurrency ${CONCURRENCY}, ${AMQP_URL.replace(/\/\/[^@]*@/, '//***@')} vs ${REDIS_URL}`);
  try {
    log('lovage on rabbitmq…');
    const amqp = await run(AMQP_URL, `lvbench-amqp:${id}:`);
    log('lovage on redis…');
    const redis = await run(REDIS_URL, `lvbench-amqp-redis:${id}:`);
    const rows = [
      { name: 'amqp_processed', unit: 'tasks/s', lovage: amqp.processedPerS, peer: 'lovage-redis', peerValue: redis.processedPerS },
      { name: 'amqp_bulk_enqueue', unit: 'tasks/s', lovage: amqp.enqueuePerS, peer: 'lovage-redis', peerValue: redis.enqueuePerS },
    ];
    if (!args.has('--no-celery')) {
      log('python celery on rabbitmq…');
      const celery = await runCelery(pythonDrainer);
      log('lovage worker on the same celery queue on rabbitmq…');
      const lovageCelery = await runCelery(lovageDrainer);
      rows.push(
        { name: 'amqp_processed', unit: 'tasks/s', lovage: amqp.processedPerS, peer: 'celery-amqp', peerValue: celery.processedPerS },
        { name: 'amqp_enqueue', unit: 'tasks/s', lovage: amqp.enqueuePerS, peer: 'celery-amqp', peerValue: celery.enqueuePerS },
        // The same Python-produced Celery queue, drained by a Lovage worker (protocol 'celery') and by Python's.
        { name: 'celery_amqp_drain', unit: 'tasks/s', lovage: lovageCelery.processedPerS, peer: 'celery-amqp', peerValue: celery.processedPerS },
      );
    }
    for (const r of rows) {
      const out = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage), peer: r.peer, peerValue: Math.round(r.peerValue), ratio: Math.round((r.lovage / r.peerValue) * 100) / 100 };
      if (args.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${out.name.padEnd(20)} ${String(out.lovage).padStart(10)} ${out.unit.padEnd(8)} ${out.peer.padEnd(14)} ${String(out.peerValue).padStart(10)}  ratio ${out.ratio}\n`);
    }
  } finally {
    await cleanup();
  }
}

await main();
process.exit(0);
