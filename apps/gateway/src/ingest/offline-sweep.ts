// Workers that stopped sending heartbeats go offline: the rule of the engine's
// registry (two intervals plus a margin), which is also Celery's own shape
// (its `celery.events.state` waits freq * 2 plus a small expiry window).
// Shared by the stream ingest and each Celery event source.
import type { PrismaClient } from '../generated/prisma/client.js';
import { WORKER_ROW_COLUMNS, workerSnapshotOf, type WorkerRow, type WorkerSnapshot } from './batch-result.js';

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
    RETURNING ${WORKER_ROW_COLUMNS}`,
    JSON.stringify(timeouts),
    offlineAfterMs(fallbackMs),
    cluster,
  );
  return rows.map(workerSnapshotOf);
}
