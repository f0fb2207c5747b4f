// The task behaviour both pools must share: results, autoretryFor, the soft
// limit's SoftTimeLimitExceeded, updateState, the hard limit. Run on the async
// and the threads pool from pools.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { TaskFailedError, chain, group, type Worker } from '../../src/index.js';
import { until } from '../support.js';
import type * as PoolApp from '../fixtures/pool-app.js';

const appModule = fileURLToPath(new URL('../fixtures/pool-app.ts', import.meta.url));

export function poolConformance(fixture: () => typeof PoolApp, pool: 'async' | 'threads'): void {
  describe(`tasks on the ${pool} pool`, () => {
    let worker: Worker;
    let f: typeof PoolApp;
    beforeAll(async () => {
      f = fixture();
      worker = f.app.worker({ pool, appModule, concurrency: 3, maintenanceInterval: 50 });
      await worker.start();
    }, 60_000);
    afterAll(async () => {
      await worker.close();
    });

    it('returns the value', async () => {
      expect(await (await f.add.delay(2, 3)).get({ timeout: 10_000 })).toBe(5);
    });

    it('carries a canvas on: a chain into a chord', async () => {
      const r = await chain(f.add.s(1, 1), group([f.add.s(10), f.add.s(20)]), f.total.s()).applyAsync();
      expect(await r.get({ timeout: 10_000 })).toBe(12 + 22);
    });

    it('passes kwargs as a trailing argument and as currentTask().kwargs, args staying positional', async () => {
      const at = new Date('2026-03-04T05:06:07.000Z');
      const r = await f.echo.applyAsync([1, 'two'], { kwargs: { at, n: 3 } });
      expect(await r.get({ timeout: 10_000 })).toEqual({ received: [1, 'two', { at, n: 3 }], args: [1, 'two'], kwargs: { at, n: 3 } });
    });

    it('retries errors listed in autoretryFor and records each attempt', async () => {
      const r = await f.flaky.delay();
      expect(await r.get({ timeout: 10_000 })).toBe('ok after 2 retries');
      const info = await r.info();
      expect(info?.attempts.map((a) => [a.outcome, a.error?.name])).toEqual([
        ['RETRY', 'FlakyUpstream'],
        ['RETRY', 'FlakyUpstream'],
        ['SUCCESS', undefined],
      ]);
    });

    it('aborts the signal with a catchable SoftTimeLimitExceeded at the soft limit', async () => {
      expect(await (await f.soft.delay()).get({ timeout: 10_000 })).toBe('soft limit caught');
    });

    it('stores the state set by updateState', async () => {
      const r = await f.progress.delay(3);
      await until(async () => (await r.state()) === 'PROGRESS');
      expect((await r.info())?.meta).toEqual({ step: 3 });
      await r.revoke({ terminate: true });
      expect(await r.state()).toBe('REVOKED');
    });

    it('fails a run past its hard limit with TimeLimitExceeded', async () => {
      const err = await (await f.stuck.delay()).get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).remoteName).toBe('TimeLimitExceeded');
    });
  });
}
