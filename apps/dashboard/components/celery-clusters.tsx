'use client';

import { useQuery } from '@tanstack/react-query';
import { Card } from '@/components/ui/card';
import { DataTable } from '@/components/ui/data-table';
import { RelativeTime } from '@/components/ui/relative-time';
import { api } from '@/lib/api-client';
import { formatCount, formatDateTime } from '@/lib/format';
import { paths, type CeleryCluster, type CeleryClusterList } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';

/**
 * Pub/sub keeps nothing for a gateway that is away: when events may have been missed, say so,
 * with the window and what reconciliation (result backend, `inspect active/reserved`) recovered.
 */
function MissedEvents({ cluster }: { cluster: CeleryCluster }) {
  if (!cluster.missedUntil) return <span className="text-ink-muted">None since the gateway started</span>;
  return (
    <span>
      {cluster.missedSince ? (
        <>
          {formatDateTime(cluster.missedSince)} to {formatDateTime(cluster.missedUntil)}
        </>
      ) : (
        <>Before {formatDateTime(cluster.missedUntil)}</>
      )}
      {cluster.lastReconcile?.error ? <span className="block text-bad">Reconciliation stopped: {cluster.lastReconcile.error}</span> : null}
    </span>
  );
}

function ClusterRow({ cluster }: { cluster: CeleryCluster }) {
  const source = cluster.eventSource;
  return (
    <tr className="border-t border-line">
      <th scope="row" className="px-3 py-2 text-left font-mono font-medium">
        {cluster.name}
      </th>
      <td className={`px-3 py-2 ${source.state === 'running' ? 'text-ok' : 'text-bad'}`}>
        {source.state === 'running' ? 'Receiving' : source.state === 'failing' ? 'Broker unreachable' : 'Stopped'}
        {source.lastError && source.state !== 'running' ? <span className="block text-xs text-ink-muted">{source.lastError}</span> : null}
      </td>
      <td className="px-3 py-2 tabular-nums">{formatCount(cluster.workersOnline)}</td>
      <td className="px-3 py-2">{cluster.lastReconciledAt ? <RelativeTime value={cluster.lastReconciledAt} /> : '—'}</td>
      <td className="px-3 py-2 tabular-nums">{formatCount(cluster.reconciledCount)}</td>
      <td className="px-3 py-2">
        <MissedEvents cluster={cluster} />
      </td>
    </tr>
  );
}

/** The watched Celery clusters (LOVAGE_CELERY_BROKER_URL); nothing when the gateway watches none. */
export function CeleryClusters() {
  const clusters = useQuery({
    queryKey: queryKeys.clusters.list(),
    queryFn: ({ signal }) => api.get<CeleryClusterList>(paths.clusters, { signal }),
    // Reconciliation happens on (re)subscription only: a slow poll shows it soon enough.
    refetchInterval: 30_000,
  });
  const list = clusters.data?.clusters ?? [];
  if (list.length === 0) return null;
  return (
    <div className="mt-6">
      <Card title="Celery clusters">
        <DataTable
          caption="Watched Celery clusters"
          minWidth="min-w-[720px]"
          headings={['Cluster', 'Events', 'Workers online', 'Last reconciled', 'Tasks reconciled', 'Events may be missing']}
        >
          {list.map((cluster) => (
            <ClusterRow key={cluster.name} cluster={cluster} />
          ))}
        </DataTable>
      </Card>
    </div>
  );
}
