// The task behaviour both pools must share: results, autoretryFor, the soft
// limit's SoftTimeLimitExceeded, updateState, the hard limit. Run on the async
// and the threads pool from pools.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { TaskFailedError, chain, group, type LovageEvent, type TaskLogEvent, type TaskProgressEvent, type Worker } from '../../src/index.js';
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

    it('turns progress() and log() into events: progress throttled with the last value kept, log lines in order with their fields', async () => {
      const from = await f.app.events.lastId();
      const r = await f.report.delay(50_000);
      expect(await r.get({ timeout: 20_000 })).toBe(50_000);
      const mine: LovageEvent[] = [];
      for await (const events of f.app.events.tail({ fromId: from, blockMs: 100, signal: AbortSignal.timeout(20_000) })) {
        mine.push(...events.filter((e) => 'id' in e && e.id === r.id));
        if (mine.some((e) => e.type === 'task-succeeded')) break;
      }
      const progress = mine.filter((e): e is TaskProgressEvent => e.type === 'task-progress');
      // A tight loop of 50,000 reports: a handful reach the stream, the first and the last among them.
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.length).toBeLessThan(50);
      expect(progress.at(-1)).toMatchObject({ progress: 1, meta: { step: 50_000 }, name: 'pool.report' });
      const succeededAt = mine.findIndex((e) => e.type === 'task-succeeded');
      expect(mine.findLastIndex((e) => e.type === 'task-progress')).toBeLessThan(succeededAt);
      const logs = mine.filter((e): e is TaskLogEvent => e.type === 'task-log').map((e) => ({ level: e.level, message: e.message, fields: e.fields }));
      expect(logs).toEqual([
        { level: 'info', message: 'starting\nsecond line', fields: { steps: 50_000 } },
        { level: 'warn', message: 'rendered page 3', fields: { page: 3 } },
        { level: 'error', message: 'recovered', fields: { part: 'b', err: expect.objectContaining({ type: 'Error', message: 'recovered' }) as unknown } },
        { level: 'info', message: 'done', fields: undefined },
      ]);
    }, 40_000);

    it('rejects a progress outside 0..1 and what JSON cannot carry at the call site, with typed errors', async () => {
      expect(await (await f.badReports.delay()).get({ timeout: 10_000 })).toEqual([
        'InvalidProgressError:INVALID_PROGRESS',
        'InvalidProgressError:INVALID_PROGRESS',
        'InvalidProgressError:INVALID_PROGRESS',
        'SerializationError:SERIALIZATION',
        'SerializationError:SERIALIZATION',
      ]);
    });

    it('fails a run past its hard limit with TimeLimitExceeded', async () => {
      const err = await (await f.stuck.delay()).get({ timeout: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).remoteName).toBe('TimeLimitExceeded');
    });
  });
}
