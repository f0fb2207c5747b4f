// GET /healthz: liveness plus a database round trip, for load balancers and `npm start`.
import type { FastifyInstance } from 'fastify';
import type { Database } from './store/database.js';

export function registerHealth(app: FastifyInstance, database: Database): void {
  app.get('/healthz', async (_request, reply) => {
    const ok = await database.check();
    if (!ok) app.log.warn({ database: database.location }, 'health check: database did not answer');
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'degraded', database: { ok, kind: database.kind } });
  });
}
