// A Celery worker's `inspect stats` and `active_queues` replies onto its worker
// row: pool kind, size, max-concurrency, prefetch count, processed total, memory
// and queues, which Celery's events never carry. The ingest keeps these when a heartbeat
// (which names no pool or queues) updates the row (apply-batch.ts).
import { fromCeleryReply } from '@lovage/engine/celery';
import type { PrismaClient } from '../generated/prisma/client.js';
import { WORKER_ROW_COLUMNS, workerSnapshotOf, type WorkerRow, type WorkerSnapshot } from '../ingest/batch-result.js';

/** What one worker's replies say, as the row stores it. */
export interface WorkerStats {
  hostname: string;
  poolKind: string | null;
  /** Pool processes/threads now (a prefork pool's `processes` list, which pool_grow and autoscale change), else its max-concurrency. */
  poolSize: number | null;
  /** The pool's max-concurrency (-c, or autoscale's maximum). */
  maxConcurrency: number | null;
  prefetchCount: number | null;
  processed: number | null;
  /** Bytes: the main process's peak resident set (`rusage.maxrss`, which Linux reports in KiB). */
  memoryRss: number | null;
  /** null when `active_queues` did not answer. */
  queues: string[] | null;
}

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const integer = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null);

/** One worker's stats from its raw `stats` reply and (when it answered) its raw `active_queues` reply. */
export function workerStatsOf(hostname: string, stats: unknown, activeQueues: unknown): WorkerStats {
  const raw = record(stats);
  const pool = record(raw.pool);
  const named = record(fromCeleryReply('stats', stats, hostname));
  const lovagePool = record(named.pool);
  const processes = Array.isArray(pool.processes) ? pool.processes.length : null;
  const kib = integer(record(raw.rusage).maxrss);
  return {
    hostname,
    poolKind: typeof lovagePool.kind === 'string' ? lovagePool.kind : null,
    poolSize: processes ?? integer(pool['max-concurrency']),
    maxConcurrency: integer(pool['max-concurrency']),
    prefetchCount: integer(raw.prefetch_count),
    processed: integer(named.processed),
    memoryRss: kib === null ? null : kib * 1024,
    queues: Array.isArray(activeQueues) ? activeQueues.map((queue) => String(record(queue).name ?? queue)) : null,
  };
}

/** Writes the stats onto the workers' rows of `cluster`; returns those rows as they now are (for the live feed). */
export async function storeWorkerStats(prisma: PrismaClient, cluster: string, stats: readonly WorkerStats[]): Promise<WorkerSnapshot[]> {
  if (stats.length === 0) return [];
  const rows = await prisma.$queryRawUnsafe<WorkerRow[]>(
    `UPDATE workers w
        SET pool_kind = COALESCE(r.pool_kind, w.pool_kind), pool_size = COALESCE(r.pool_size, w.pool_size),
            max_concurrency = COALESCE(r.max_concurrency, w.max_concurrency),
            prefetch_count = COALESCE(r.prefetch_count, w.prefetch_count),
            processed = GREATEST(w.processed, COALESCE(r.processed, 0)),
            memory_rss = COALESCE(r.memory_rss, w.memory_rss),
            queues = COALESCE(r.queues, w.queues), stats_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, pool_kind text, pool_size int, max_concurrency int,
            prefetch_count int, processed bigint, memory_rss bigint, queues text[])
      WHERE w.hostname = r.hostname AND w.cluster = $2
  RETURNING ${WORKER_ROW_COLUMNS}`,
    JSON.stringify(
      stats.map((s) => ({
        hostname: s.hostname,
        pool_kind: s.poolKind,
        pool_size: s.poolSize,
        max_concurrency: s.maxConcurrency,
        prefetch_count: s.prefetchCount,
        processed: s.processed,
        memory_rss: s.memoryRss,
        queues: s.queues,
      })),
    ),
    cluster,
  );
  return rows.map(workerSnapshotOf);
}
