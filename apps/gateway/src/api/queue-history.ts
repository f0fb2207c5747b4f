// GET /queues/history and /queues/{name}/history?window=: each queue's depth
// (sampled once a minute by the gateway), the age of its oldest waiting
// message, and how long its tasks waited to start (p50/p95/p99, overall and per
// task name), from the database, so the history survives the page and the
// gateway.
import { queueHistory, type QueueHistoryRow } from '../store/queue-history-queries.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { QueueHistoryListSchema, QueueHistoryParamsSchema, QueueHistoryQuerySchema, QueueHistorySchema, type QueueHistoryEntry } from './schemas.js';
import { windowRange } from './throughput.js';

function toEntry(row: QueueHistoryRow): QueueHistoryEntry {
  return { ...row, points: row.points.map((point) => ({ ...point, at: point.at.toISOString() })) };
}

export function registerQueueHistoryRoutes(registrar: RouteRegistrar): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/queues/history',
    summary: "Every queue's depth, oldest waiting age and wait-time percentiles over a window",
    tag: 'queues',
    access: 'viewer',
    query: QueueHistoryQuerySchema.pick({ window: true }),
    response: QueueHistoryListSchema,
    async handler({ query }) {
      const range = windowRange(query.window);
      const rows = await queueHistory(prisma, range);
      return { window: query.window, bucketSeconds: range.stepSeconds, from: range.from.toISOString(), to: range.to.toISOString(), queues: rows.map(toEntry) };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/queues/:name/history',
    summary: "One queue's depth, oldest waiting age and wait-time percentiles (overall and per task name) over a window; with ?cluster=, a watched Celery cluster's queue",
    tag: 'queues',
    access: 'viewer',
    params: QueueHistoryParamsSchema,
    query: QueueHistoryQuerySchema,
    response: QueueHistorySchema,
    async handler({ params, query }) {
      const range = windowRange(query.window);
      const [row] = await queueHistory(prisma, { ...range, queue: { name: params.name, cluster: query.cluster ?? '' } });
      return { window: query.window, bucketSeconds: range.stepSeconds, from: range.from.toISOString(), to: range.to.toISOString(), queue: toEntry(row!) };
    },
  });
}
