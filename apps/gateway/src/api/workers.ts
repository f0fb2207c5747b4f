// GET /workers and /workers/:hostname: what the ingest knows of each worker
// (its last heartbeat) plus an hour of downsampled heartbeats for charts.
import type { Worker, WorkerHeartbeat } from '../generated/prisma/client.js';
import { OWN_CLUSTER } from '../config.js';
import { NotFoundError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { WorkerDetailResponseSchema, WorkerListQuerySchema, WorkerListSchema, WorkerParamsSchema, type HeartbeatSample, type WorkerSummary } from './schemas.js';

const HEARTBEAT_HISTORY_MS = 3_600_000;

export function toWorkerSummary(row: Worker): WorkerSummary {
  return {
    hostname: row.hostname,
    pid: row.pid,
    version: row.version,
    queues: row.queues,
    poolKind: row.poolKind,
    poolSize: row.poolSize,
    firstSeen: row.firstSeen.toISOString(),
    lastHeartbeat: row.lastHeartbeat.toISOString(),
    online: row.online,
    active: row.active,
    processed: Number(row.processed),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    loadavg: row.loadavg,
    memoryRss: row.memoryRss === null ? null : Number(row.memoryRss),
    cluster: row.cluster,
    maxConcurrency: row.maxConcurrency,
    prefetchCount: row.prefetchCount,
    statsAt: row.statsAt?.toISOString() ?? null,
  };
}

function toSample(row: WorkerHeartbeat): HeartbeatSample {
  return { at: row.at.toISOString(), active: row.active, processed: Number(row.processed), loadavg: row.loadavg, memoryRss: row.memoryRss === null ? null : Number(row.memoryRss) };
}

export function registerWorkerRoutes(registrar: RouteRegistrar): void {
  const prisma = registrar.app.database.prisma;

  defineRoute(registrar, {
    method: 'GET',
    url: '/workers',
    summary: 'Workers seen on the event stream, online first',
    tag: 'workers',
    access: 'viewer',
    query: WorkerListQuerySchema,
    response: WorkerListSchema,
    async handler({ query }) {
      const rows = await prisma.worker.findMany({
        where: {
          ...(query.online === undefined ? {} : { online: query.online }),
          ...(query.cluster === undefined ? {} : { cluster: query.cluster === OWN_CLUSTER ? null : query.cluster }),
        },
        orderBy: [{ online: 'desc' }, { hostname: 'asc' }],
        take: 1_000,
      });
      return { workers: rows.map(toWorkerSummary) };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/workers/:hostname',
    summary: 'One worker with its last hour of heartbeats and its running tasks',
    tag: 'workers',
    access: 'viewer',
    params: WorkerParamsSchema,
    response: WorkerDetailResponseSchema,
    async handler({ params }) {
      const row = await prisma.worker.findUnique({ where: { hostname: params.hostname } });
      if (!row) throw new NotFoundError(`No worker ${params.hostname}`);
      const [samples, running] = await Promise.all([
        prisma.workerHeartbeat.findMany({
          where: { hostname: row.hostname, at: { gte: new Date(row.lastHeartbeat.getTime() - HEARTBEAT_HISTORY_MS) } },
          orderBy: { at: 'asc' },
        }),
        prisma.task.findMany({
          where: { worker: row.hostname, state: 'STARTED' },
          select: { id: true, name: true, state: true, createdAt: true },
          orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
          take: 50,
        }),
      ]);
      return {
        worker: {
          ...toWorkerSummary(row),
          heartbeats: samples.map(toSample),
          runningTasks: running.map((task) => ({ id: task.id, name: task.name, state: task.state, createdAt: task.createdAt.toISOString() })),
        },
      };
    },
  });
}
