// GET /healthz: liveness, a database round trip, and (when the gateway ingests
// an event stream) how far behind the stream the database is.
import type { FastifyInstance } from 'fastify';
import type { Ingest, IngestLag } from './ingest/ingest.js';
import type { Database } from './store/database.js';

export function registerHealth(app: FastifyInstance, database: Database, ingest: Ingest | null = null): void {
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
    const healthy = ok && lag?.state !== 'failing';
    return reply
      .code(healthy ? 200 : 503)
      .send({ status: healthy ? 'ok' : 'degraded', database: { ok, kind: database.kind }, ...(lag ? { ingest: lag } : {}) });
  });
}
