import { describe, expect, it } from 'vitest';
import { workerStatsOf } from './worker-stats.js';

describe("a Celery worker's inspect replies", () => {
  it('reads pool kind, its processes now, max-concurrency, prefetch, processed total, memory and queues', () => {
    const stats = {
      pool: { 'max-concurrency': 2, processes: [11, 12, 13], 'max-tasks-per-child': 'N/A', writes: { total: 4 } },
      prefetch_count: 8,
      total: { 'proj.add': 5, 'proj.fail': 2 },
      rusage: { utime: 0.5, stime: 0.1, maxrss: 51_200 },
    };
    expect(workerStatsOf('celery@a', stats, [{ name: 'celery', exchange: { name: 'celery' } }, { name: 'pay' }])).toEqual({
      hostname: 'celery@a',
      poolKind: 'prefork',
      poolSize: 3,
      maxConcurrency: 2,
      prefetchCount: 8,
      processed: 7,
      memoryRss: 51_200 * 1024,
      queues: ['celery', 'pay'],
    });
  });

  it('keeps what a reply leaves out unknown (a solo pool lists no processes; active_queues may not answer)', () => {
    expect(workerStatsOf('celery@b', { pool: { 'max-concurrency': 1 }, prefetch_count: 4, total: {} }, undefined)).toEqual({
      hostname: 'celery@b',
      poolKind: 'solo',
      poolSize: 1,
      maxConcurrency: 1,
      prefetchCount: 4,
      processed: 0,
      memoryRss: null,
      queues: null,
    });
  });

});
