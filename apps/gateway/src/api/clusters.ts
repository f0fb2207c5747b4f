// GET /clusters: the watched Python Celery clusters, for the dashboard's
// cluster badges and its "events were missed, N tasks reconciled" notice.
import type { CeleryCluster } from '../celery/celery-cluster.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { CeleryClusterListSchema } from './schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function registerClusterRoutes(registrar: RouteRegistrar, clusters: readonly CeleryCluster[]): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/clusters',
    summary: 'The watched Celery clusters: event source state, reconciliation after missed events, workers online',
    tag: 'workers',
    access: 'viewer',
    response: CeleryClusterListSchema,
    async handler() {
      const online = await prisma.worker.groupBy({ by: ['cluster'], where: { online: true, cluster: { not: null } }, _count: { _all: true } });
      const count = new Map(online.map((row) => [row.cluster, row._count._all]));
      return {
        clusters: clusters.map((cluster) => {
          const { events, ...status } = cluster.status();
          return {
            ...status,
            eventSource: {
              state: events.state,
              eventsApplied: events.eventsApplied,
              malformed: events.malformed,
              dropped: events.dropped,
              lastEventAt: iso(events.lastEventAt),
              lastError: events.lastError,
            },
            workersOnline: count.get(cluster.name) ?? 0,
          };
        }),
      };
    },
  });
}
