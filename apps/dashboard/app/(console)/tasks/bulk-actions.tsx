'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { plural } from '@/lib/format';
import { useLiveRoom } from '@/lib/live';
import { paths, type BulkJob } from '@/lib/monitor';
import { queryKeys } from '@/lib/query-keys';
import { bulkFilterOf, mayActOnAllMatching, type TaskFilters } from '@/lib/task-filters';

type BulkAction = 'retry' | 'revoke';

/** Retry or revoke the selected tasks, or every task the filter matches, with a progress bar. */
export function BulkActions({
  filters,
  selectedIds,
  allMatching,
  loadedCount,
  onSelectAllMatching,
  onClear,
}: {
  filters: TaskFilters;
  selectedIds: string[];
  allMatching: boolean;
  loadedCount: number;
  onSelectAllMatching: () => void;
  onClear: () => void;
}) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState<BulkAction | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);

  const job = useQuery({
    queryKey: queryKeys.jobs.detail(jobId ?? ''),
    queryFn: async ({ signal }) => (await api.get<{ job: BulkJob }>(paths.job(jobId ?? ''), { signal })).job,
    enabled: jobId !== null,
    // Live job events update it; the slow poll covers a gateway that sends none.
    refetchInterval: (query) => (query.state.data?.state === 'running' || !query.state.data ? 2_000 : false),
  });
  useLiveRoom(jobId ? 'jobs' : null, {
    onUpdate: ({ jobs }) => {
      for (const update of jobs) {
        if (update.id === jobId) queryClient.setQueryData(queryKeys.jobs.detail(update.id), update);
      }
    },
  });

  const start = useMutation({
    mutationFn: (action: BulkAction) =>
      api.post<{ job: BulkJob }>(
        paths.bulkTasks,
        allMatching ? { action, filter: bulkFilterOf(filters) } : { action, ids: selectedIds },
      ),
    onSuccess: ({ job: started }) => {
      setConfirming(null);
      setJobId(started.id);
      queryClient.setQueryData(queryKeys.jobs.detail(started.id), started);
      onClear();
    },
    onError: (error) => {
      setConfirming(null);
      toast({ tone: 'error', title: 'Bulk action refused', description: error instanceof Error ? error.message : undefined });
    },
  });

  const count = allMatching ? null : selectedIds.length;
  const canSelectAllMatching = mayActOnAllMatching(filters) && !allMatching && selectedIds.length > 0 && loadedCount > 0;
  const current = job.data;
  const target = allMatching ? 'every task matching this filter' : plural(selectedIds.length, 'selected task');

  return (
    <div className="mb-3 space-y-2">
      {allMatching || selectedIds.length > 0 ? (
        <div className="flex flex-wrap items-center gap-2 rounded-md border border-line bg-surface-raised p-2 text-sm">
          <span className="font-medium">{allMatching ? 'All tasks matching this filter selected' : `${count} selected`}</span>
          {canSelectAllMatching ? (
            <Button variant="ghost" size="sm" onClick={onSelectAllMatching}>
              Select all matching this filter
            </Button>
          ) : null}
          <div className="ml-auto flex gap-2">
            <Button variant="secondary" size="sm" onClick={() => setConfirming('retry')}>
              Retry selected
            </Button>
            <Button variant="danger" size="sm" onClick={() => setConfirming('revoke')}>
              Revoke selected
            </Button>
            <Button variant="ghost" size="sm" onClick={onClear}>
              Clear selection
            </Button>
          </div>
        </div>
      ) : null}
      {current ? (
        <div className="flex flex-wrap items-center gap-3 rounded-md border border-line bg-surface-raised p-2 text-sm">
          <label className="flex items-center gap-2">
            <span>
              {current.kind === 'tasks.revoke' ? 'Revoking' : 'Retrying'}: {current.done.toLocaleString()} of{' '}
              {current.total.toLocaleString()}
            </span>
            <progress
              aria-label="Bulk action progress"
              max={Math.max(current.total, 1)}
              value={current.done}
              className="h-2 w-40 accent-[var(--lv-accent)]"
            />
          </label>
          <span className="text-ink-muted">
            {current.succeeded} done, {current.skipped} skipped, {current.failed} failed
            {current.state === 'running' ? '' : current.state === 'succeeded' ? ' — finished' : ` — stopped: ${current.error ?? 'failed'}`}
          </span>
          {current.state !== 'running' ? (
            <Button variant="ghost" size="sm" className="ml-auto" onClick={() => setJobId(null)}>
              Dismiss
            </Button>
          ) : null}
        </div>
      ) : null}
      <ConfirmDialog
        open={confirming !== null}
        title={confirming === 'revoke' ? 'Revoke tasks?' : 'Retry tasks?'}
        confirmLabel={confirming === 'revoke' ? 'Revoke' : 'Retry'}
        busy={start.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => confirming && start.mutate(confirming)}
      >
        {confirming === 'revoke'
          ? `Revoke ${target}? Tasks that have not started will never run.`
          : `Retry ${target}? Failed, revoked and rejected tasks are sent again with the same arguments.`}
      </ConfirmDialog>
    </div>
  );
}
