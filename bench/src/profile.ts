// Lovage's processing phase alone, for profiling the worker hot path:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx --conditions=@lovage/source src/profile.ts [--tasks N] [--no-events]
// Without --conditions it runs the built engine (`npm run build -w @lovage/engine` first), as the
// benches do (run-built.mjs); remove apps/engine/dist afterwards, or `lovage` keeps running it.
// Keys live under a random prefix and are deleted at the end.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { deleteKeys } from './redis-keys.js';

const argv = process.argv.slice(2);
const tasksArg = argv.indexOf('--tasks');
const TASKS = tasksArg >= 0 ? Number(argv[tasksArg + 1]) : 50_000;
const events = !argv.includes('--no-events');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = `lvprof:${randomBytes(4).toString('hex')}:`;

const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'warn', events });
const noop = app.task('bench.noop', (_n: number) => null);
for (let i = 0; i < TASKS; i += 1_000) {
  await noop.bulkApply(Array.from({ length: Math.min(1_000, TASKS - i) }, () => [0] as [number]));
}
const worker = app.worker({ concurrency: 50, prefetch: 200 });
const t = performance.now();
await worker.start();
while (worker.stats.processed < TASKS) await new Promise((r) => setTimeout(r, 5));
const s = (performance.now() - t) / 1000;
await app.close();
process.stdout.write(`${JSON.stringify({ events, tasks: TASKS, processedPerS: Math.round(TASKS / s) })}\n`);

const client = new Redis(REDIS_URL);
await deleteKeys(client, prefix);
client.disconnect();
process.exit(0);
