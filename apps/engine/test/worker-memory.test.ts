// A worker's memory while tasks come one at a time: between two tasks its loop
// waits for work, thousands of times an hour on a quiet queue, and a wait must
// leave nothing behind (each one used to leave a reaction on a promise that
// only close() settles, kept until the worker stopped).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, test } from 'vitest';
import { harness } from './support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const h = harness('memory');
afterEach(() => h.close());

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('a worker that waits for work between tasks sent one at a time keeps no memory per wait', async () => {
  // No results and no events: nothing the memory adapter keeps per task on purpose.
  const app = h.app({ events: false });
  let ran: (() => void) | undefined;
  const tick = app.task('tick', () => void ran?.(), { ignoreResult: true });
  const worker = await h.worker(app, { concurrency: 1 });
  const oneAtATime = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const done = new Promise<void>((resolve) => (ran = resolve));
      await tick.delay();
      await done;
    }
  };
  await oneAtATime(2_000);
  const processedBefore = worker.stats.processed;
  const before = heapAfterGc();
  await oneAtATime(20_000);
  const grown = heapAfterGc() - before;
  expect(worker.stats.processed - processedBefore).toBe(20_000);
  // Some 350 bytes a wait when waits leaked: 7 MB here.
  expect(grown).toBeLessThan(2_000_000);
});
