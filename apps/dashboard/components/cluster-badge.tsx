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
