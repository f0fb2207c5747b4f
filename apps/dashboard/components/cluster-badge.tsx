import { OWN_CLUSTER } from '@/lib/task-filters';

/**
 * Which watched Celery cluster a task or worker belongs to (LOVAGE_CELERY_BROKER_URL's name).
 * Lovage's own rows have no cluster and show nothing: the badge marks the exception.
 */
export function ClusterBadge({ cluster }: { cluster: string | null | undefined }) {
  if (!cluster) return null;
  return (
    <span
      title={`Celery cluster ${cluster}`}
      className="ml-2 inline-block max-w-[10rem] truncate rounded border border-line px-1.5 align-middle font-mono text-[0.7rem] leading-5 text-ink-muted"
    >
      <span className="sr-only">Celery cluster </span>
      {cluster}
    </span>
  );
}

/** A cluster menu's choices: every cluster, Lovage's own (OWN_CLUSTER), or one Celery cluster. */
export function ClusterOptions({ clusters }: { clusters: readonly string[] }) {
  return (
    <>
      <option value="">Any cluster</option>
      <option value={OWN_CLUSTER}>Lovage&apos;s own</option>
      {clusters.map((cluster) => (
        <option key={cluster} value={cluster}>
          {cluster}
        </option>
      ))}
    </>
  );
}
