// The gateway's Prometheus registry: default process metrics plus HTTP request
// counts. Other modules (ingest, queues) add their metrics to `registry`.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lovage_gateway_' });
  const httpRequests = new Counter({
    name: 'lovage_gateway_http_requests_total',
    help: 'HTTP requests answered by the gateway, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return { registry, httpRequests };
}
