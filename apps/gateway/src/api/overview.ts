// GET /overview: the numbers of the dashboard's first page in one request.
// Every part is cheap at millions of tasks: the stored count is Postgres's
// estimate, unfinished tasks are counted through the state index, and the
// day's counts come from the per-minute buckets, never from the task table.
import type { Lovage } from '@lovage/engine';
import type { Ingest } from '../ingest/ingest.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { metricTotals, topFailing } from '../store/metric-queries.js';
import { estimateTaskCount } from '../store/task-queries.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { OverviewSchema, type Overview } from './schemas.js';

async function unfinished(prisma: PrismaClient): Promise<Record<'PENDING' | 'RECEIVED' | 'STARTED' | 'RETRY', number>> {
  const rows = await prisma.$queryRawUnsafe<{ state: string; n: number }[]>(
    `SELECT state::text AS state, count(*)::int AS n FROM tasks WHERE state IN ('PENDING', 'RECEIVED', 'STARTED', 'RETRY') GROUP BY state`,
  );
  const counts = { PENDING: 0, RECEIVED: 0, STARTED: 0, RETRY: 0 };
  for (const row of rows) if (row.state in counts) counts[row.state as keyof typeof counts] = row.n;
  return counts;
}

export function registerOverviewRoutes(registrar: RouteRegistrar, deps: { engine: Lovage | null; ingest: Ingest | null }): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/overview',
    summary: 'Totals, unfinished tasks, the day\'s outcomes, workers online, top failing tasks, queue depth and ingest lag',
    tag: 'overview',
    access: 'viewer',
    response: OverviewSchema,
    async handler({ request }) {
      const now = Date.now();
      const [stored, open, last24h, lastHour, workers, failing, queues, lag] = await Promise.all([
        estimateTaskCount(prisma),
        unfinished(prisma),
        metricTotals(prisma, new Date(now - 86_400_000), new Date(now + 60_000)),
        metricTotals(prisma, new Date(now - 3_600_000), new Date(now + 60_000)),
        prisma.worker.groupBy({ by: ['online'], _count: { _all: true } }),
        topFailing(prisma, new Date(now - 86_400_000), 5),
        deps.engine
          ? deps.engine.queues.list().catch((error: unknown) => {
              request.log.warn({ err: error }, 'overview: the broker did not answer');
              return null;
            })
          : Promise.resolve(null),
        deps.ingest
          ? deps.ingest.lag().catch(() => deps.ingest!.status())
          : Promise.resolve(null),
      ]);
      const overview: Overview = {
        generatedAt: new Date(now).toISOString(),
        tasks: { stored, pending: open.PENDING, received: open.RECEIVED, started: open.STARTED, retry: open.RETRY },
        last24h,
        lastHour,
        workers: {
          online: workers.find((w) => w.online)?._count._all ?? 0,
          offline: workers.find((w) => !w.online)?._count._all ?? 0,
        },
        topFailing: failing,
        queues: queues
          ? {
              ready: queues.reduce((sum, q) => sum + q.ready, 0),
              delayed: queues.reduce((sum, q) => sum + q.delayed, 0),
              reserved: queues.reduce((sum, q) => sum + q.reserved, 0),
              dead: queues.reduce((sum, q) => sum + q.dead, 0),
              byQueue: queues.map((q) => ({ name: q.name, ready: q.ready, reserved: q.reserved, dead: q.dead })).sort((a, b) => a.name.localeCompare(b.name)),
            }
          : null,
        ingest: lag
          ? {
              state: lag.state,
              caughtUp: 'caughtUp' in lag ? lag.caughtUp : false,
              behindMs: 'behindMs' in lag ? lag.behindMs : null,
              eventsApplied: lag.eventsApplied,
              lastError: lag.lastError,
            }
          : null,
      };
      return overview;
    },
  });
}
