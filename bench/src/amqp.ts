// Lovage on RabbitMQ against Lovage on Redis, in the same run: the same no-op
// tasks with results kept (on Redis in both), one worker in this process at
// concurrency 50. Bulk enqueue is bulkApply in batches of 1,000 (every message
// confirmed by RabbitMQ); processed/s is the drain of the filled queue.
//
//   npm run bench:amqp -w @lovage/bench                 a table
//   npm run bench:amqp -w @lovage/bench -- --json       one JSON object per line
//   npm run bench:amqp -w @lovage/bench -- --tasks 5000 scale down (default 20,000)
//
// BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672) and BENCH_REDIS_URL
// choose the servers. Queues and keys live under a random prefix, deleted at the end.
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { benchArgs, progress, REDIS_URL, runId } from './gateway-support.js';

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

async function cleanup(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  for (const pattern of [`lvbench-amqp:${id}:*`, `lvbench-amqp-redis:${id}:*`]) {
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
  for (const queue of [`${names}.ready.${QUEUE}`, `${names}.dead.${QUEUE}`, `${names}.queues`]) await ch.deleteQueue(queue);
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
      { name: 'amqp_processed', unit: 'tasks/s', lovage: amqp.processedPerS, peerValue: redis.processedPerS },
      { name: 'amqp_bulk_enqueue', unit: 'tasks/s', lovage: amqp.enqueuePerS, peerValue: redis.enqueuePerS },
    ];
    for (const r of rows) {
      const out = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage), peer: 'lovage-redis', peerValue: Math.round(r.peerValue), ratio: Math.round((r.lovage / r.peerValue) * 100) / 100 };
      if (args.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${out.name.padEnd(20)} ${String(out.lovage).padStart(10)} ${out.unit.padEnd(8)} ${out.peer.padEnd(14)} ${String(out.peerValue).padStart(10)}  ratio ${out.ratio}\n`);
    }
  } finally {
    await cleanup();
  }
}

await main();
process.exit(0);
