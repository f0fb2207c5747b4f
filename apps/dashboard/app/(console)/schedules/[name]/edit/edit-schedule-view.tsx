'use client';

import { useQuery } from '@tanstack/react-query';
import { PageHeader } from '@/components/ui/page-header';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { paths, scheduleQuery, type ScheduleDetail } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { ScheduleForm } from '../../schedule-form';

export function EditScheduleView({ name, cluster }: { name: string; cluster: string | null }) {
  // Read once: the form edits the version it was opened on, and a save answers 409 if it moved.
  const query = useQuery({
    queryKey: queryKeys.schedules.detail(name, cluster),
    queryFn: ({ signal }) => api.get<ScheduleDetail>(paths.schedule(name), { signal, query: scheduleQuery(cluster) }),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  if (query.isPending) return <Skeleton rows={6} label="Loading the schedule" />;
  if (query.isError) return <ErrorState what="the schedule" error={query.error} onRetry={() => void query.refetch()} />;
  return (
    <>
      <PageHeader title={`Edit ${name}`}>Changes apply from beat&rsquo;s next tick.</PageHeader>
      <ScheduleForm key={query.data.schedule.version} original={query.data.schedule} />
    </>
  );
}
