// A worker's heap against the tasks it has run: the soak's RSS mixes a leak
// with the heap and the allocator sizing themselves; this separates them. One
// process sends no-op tasks (events on, results kept) to its own worker on the
// test Redis and, every 100,000 tasks, collects garbage twice and prints the
// heap still in use (on stderr), then the first and last figures and the
// growth in bytes a task. A leak of a few bytes a task shows as a steady climb; a
// sound worker's figure stays within a few MB however many tasks it runs.
//
//   npm run bench:worker-heap -w @lovage/bench                  1,000,000 tasks
//   node --expose-gc --import tsx --conditions=@lovage/source src/worker-heap.ts [--json] [--tasks N]
//
// Keys live under a random prefix and are deleted at the end.
import { randomBytes } from 'node:crypto';
import { Lovage } from '@lovage/engine';
import { benchArgs, deleteRedisPrefix, printMeasurements, progress, REDIS_URL, sleep } from './gateway-support.js';

const args = benchArgs();
const STEP = 100_000;
const TASKS = args.number('--tasks', 1_000_000);
if (TASKS < 2 * STEP) throw new Error(`--tasks must be at least ${2 * STEP}: the heap is compared between the first and the last ${STEP} tasks`);
/** Tasks sent and not yet run, at most: the backlog stays small, so the queue's memory is not the worker's. */
const AHEAD = 20_000;
const log = progress(args.json);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:worker-heap does)');

const prefix = `lvheap:${randomBytes(4).toString('hex')}:`;
const app = new Lovage({ broker: REDIS_URL, prefix, logLevel: 'warn', eventsMaxBytes: '64mb' });
const tick = app.task('heap.tick', (n: number) => n + 1);
const worker = app.worker({ concurrency: 50 });
const mb = (bytes: number): number => bytes / 1_048_576;

try {
  await worker.start();
  const started = Date.now();
  let first: number | undefined;
  let last = 0;
  let sent = 0;
  let target = STEP;
  for (; target <= TASKS; target += STEP) {
    while (sent < target) {
      const count = Math.min(1_000, target - sent);
      await tick.bulkApply(Array.from({ length: count }, (_, i) => [sent + i] as [number]));
      sent += count;
      while (sent - worker.stats.processed > AHEAD) await sleep(10);
    }
    while (worker.stats.processed < target) await sleep(10);
    gc();
    gc();
    const memory = process.memoryUsage();
    first ??= memory.heapUsed;
    last = memory.heapUsed;
    log(
      `${target} tasks after ${((Date.now() - started) / 1_000).toFixed(0)} s: heap used after GC ${mb(memory.heapUsed).toFixed(1)} MB, external ${mb(memory.external).toFixed(1)} MB, rss ${mb(memory.rss).toFixed(1)} MB`,
    );
  }
  const ran = target - STEP;
  printMeasurements(
    [
      { name: 'worker_heap_first_step', unit: 'MB', lovage: mb(first!), target: null, better: 'lower' },
      { name: 'worker_heap_last_step', unit: 'MB', lovage: mb(last), target: null, better: 'lower' },
      { name: 'worker_heap_growth', unit: 'B/task', lovage: (last - first!) / (ran - STEP), target: null, better: 'lower' },
    ],
    args.json,
  );
} finally {
  await app.close();
  await deleteRedisPrefix(prefix);
}
