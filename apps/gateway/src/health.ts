// GET /healthz: liveness, a database round trip, and (when the gateway ingests
// an event stream) how far behind the stream the database is, and the state of
// each watched Celery cluster's event source.
import type { FastifyInstance } from 'fastify';
import type { CeleryEventSource } from './ingest/celery-events.js';
import type { Ingest, IngestLag } from './ingest/ingest.js';
import type { Database } from './store/database.js';

export function registerHealth(
  app: FastifyInstance,
  database: Database,
  ingest: Ingest | null = null,
  celery: readonly CeleryEventSource[] = [],
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
    const clusters = celery.map((source) => source.status());
    const healthy = ok && lag?.state !== 'failing' && clusters.every((cluster) => cluster.state !== 'failing');
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'ok' : 'degraded',
      database: { ok, kind: database.kind },
      ...(lag ? { ingest: lag } : {}),
      ...(clusters.length > 0 ? { celery: clusters } : {}),
    });
  });
}
