// GET /metrics in Prometheus text format. Open by default (like most exporters);
// when LOVAGE_METRICS_TOKEN is set it needs `Authorization: Bearer <that token>`.
import type { FastifyInstance } from 'fastify';
import { UnauthenticatedError } from '../errors.js';
import { safeEqual } from '../auth/secrets.js';
import type { GatewayMetrics } from './registry.js';

export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics, token: string | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    // Route patterns, never raw URLs, so ids cannot explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
  });

  app.get('/metrics', async (request, reply) => {
    if (token !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
      if (!match?.[1] || !safeEqual(match[1], token)) throw new UnauthenticatedError('GET /metrics needs Authorization: Bearer <LOVAGE_METRICS_TOKEN>');
    }
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(body);
  });
}
