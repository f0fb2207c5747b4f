// The threads pool on real Redis: handlers run in worker_threads that load the
// app module, and a thread past its hard time limit is killed and replaced.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskFailedError } from '../src/index.js';
import { threadsPoolFixture } from './support.js';
import type * as FaultApp from './fixtures/fault-app.js';

const appModule = fileURLToPath(new URL('./fixtures/fault-app.ts', import.meta.url));

describe('threads pool', () => {
  let fixture: typeof FaultApp;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ fixture, close } = await threadsPoolFixture(() => import('./fixtures/fault-app.js'), { appModule, concurrency: 2, name: 'threads' }));
  }, 60_000);
  afterAll(async () => {
    await close();
  });

  it('runs a CPU-bound task in a thread that loaded the app module', async () => {
    let expected = 0;
    for (let i = 0; i < 200_000; i++) expected = (expected * 31 + i) % 1_000_003;
    expect(await (await fixture.hash.delay(200_000)).get({ timeout: 20_000 })).toBe(expected);
  });

  it('kills a thread stuck past its hard time limit and keeps serving with a fresh one', async () => {
    const stuck = await fixture.spin.delay();
    const err = await stuck.get({ timeout: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect((err as TaskFailedError).remoteName).toBe('TimeLimitExceeded');
    expect(await (await fixture.hash.delay(10)).get({ timeout: 20_000 })).toBeTypeOf('number');
  }, 40_000);

  it('leaves no listeners behind on a thread after its jobs, however many it runs', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // Twelve jobs per thread: past Node's limit of ten listeners if each job left one.
      const results = await Promise.all(Array.from({ length: 24 }, async (_, i) => (await fixture.hash.delay(i)).get({ timeout: 20_000 })));
      expect(results).toHaveLength(24);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  }, 40_000);
});
