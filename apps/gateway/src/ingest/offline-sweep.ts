// Workers that stopped sending heartbeats go offline: the rule of the engine's
// registry (two intervals plus a margin), which is also Celery's own shape
// (its `celery.events.state` waits freq * 2 plus a small expiry window).
// Shared by the stream ingest and each Celery event source.
import type { PrismaClient } from '../generated/prisma/client.js';
import { workerSnapshotOf, type WorkerRow, type WorkerSnapshot } from './batch-result.js';

/** How long after its last heartbeat a worker with this interval counts as gone (ms). */
export const offlineAfterMs = (intervalMs: number): number => 2 * intervalMs + Math.max(500, intervalMs / 2);

/**
 * Marks offline the online workers of `cluster` (null: Lovage's own) whose
 * last heartbeat is older than their timeout; `heartbeatMs` gives the intervals
 * seen, `fallbackMs` the one assumed for the others. Returns the workers changed.
 */
export async function markSilentWorkersOffline(
  prisma: PrismaClient,
  heartbeatMs: ReadonlyMap<string, number>,
  fallbackMs: number,
  cluster: string | null,
): Promise<WorkerSnapshot[]> {
  const timeouts = [...heartbeatMs].map(([hostname, interval]) => ({ hostname, timeout_ms: offlineAfterMs(interval) }));
  const rows = await prisma.$queryRawUnsafe<WorkerRow[]>(
    `UPDATE workers w SET online = false
      WHERE w.online
        AND w.cluster IS NOT DISTINCT FROM $3::text
        AND w.last_heartbeat < now() - make_interval(secs => COALESCE(
              (SELECT r.timeout_ms FROM jsonb_to_recordset($1::jsonb) AS r(hostname text, timeout_ms float8) WHERE r.hostname = w.hostname),
              $2::float8) / 1000.0)
    RETURNING w.hostname, w.pid, w.version, w.queues, w.pool_kind, w.pool_size, w.online,
              (extract(epoch from w.first_seen) * 1000)::float8 AS first_seen,
              (extract(epoch from w.last_heartbeat) * 1000)::float8 AS last_heartbeat,
              w.active, w.processed::float8 AS processed, w.succeeded::float8 AS succeeded, w.failed::float8 AS failed,
              w.loadavg, w.memory_rss::float8 AS memory_rss, w.cluster, w.max_concurrency, w.prefetch_count,
              (extract(epoch from w.stats_at) * 1000)::float8 AS stats_at`,
    JSON.stringify(timeouts),
    offlineAfterMs(fallbackMs),
    cluster,
  );
  return rows.map(workerSnapshotOf);
}
