// GET /healthz: liveness, a database round trip, and (when the gateway ingests
// an event stream) how far behind the stream the database is, and the state of
// each watched Celery cluster's event source.
import type { FastifyInstance } from 'fastify';
import type { CeleryCluster } from './celery/celery-cluster.js';
import type { Ingest, IngestLag } from './ingest/ingest.js';
import type { Database } from './store/database.js';

export function registerHealth(
  app: FastifyInstance,
  database: Database,
  ingest: Ingest | null = null,
  celery: readonly CeleryCluster[] = [],
): void {
  app.get('/healthz', async (_request, reply) => {
    const ok = await database.check();
    if (!ok) app.log.warn({ database: database.location }, 'health check: database did not answer');
    let lag: IngestLag | { state: 'failing'; lastError: string } | null = null;
    if (ingest) {
      try {
        lag = await ingest.lag();
      } catch (error) {
        app.log.warn({ err: error }, 'health check: the event stream did not answer');
        lag = { state: 'failing', lastError: error instanceof Error ? error.message : String(error) };
      }
    }
    // Each cluster's event source, and when events were last missed and reconciled.
    const clusters = celery.map((cluster) => {
      const { events, lastReconciledAt, reconciledCount, missedSince, missedUntil } = cluster.status();
      return { ...events, lastReconciledAt, reconciledCount, missedSince, missedUntil };
    });
    const healthy = ok && lag?.state !== 'failing' && clusters.every((cluster) => cluster.state !== 'failing');
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'ok' : 'degraded',
      database: { ok, kind: database.kind },
      ...(lag ? { ingest: lag } : {}),
      ...(clusters.length > 0 ? { celery: clusters } : {}),
    });
  });
}
