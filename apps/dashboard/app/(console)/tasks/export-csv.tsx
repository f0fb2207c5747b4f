'use client';

import { memo, useState } from 'react';
import { Button } from '@/components/ui/button';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import { toCsv, downloadText } from '@/lib/csv';
import { paths, type TaskPage, type TaskSummary } from '@/lib/monitor';
import { taskFilterParams, type TaskFilters } from '@/lib/task-filters';

/** More rows than this belong in a database export, not a browser download. */
const exportLimit = 50_000;

const columns: [string, (task: TaskSummary) => unknown][] = [
  ['id', (task) => task.id],
  ['name', (task) => task.name],
  ['state', (task) => task.state],
  ['queue', (task) => task.queue],
  ['worker', (task) => task.worker],
  ['args', (task) => task.args],
  ['retries', (task) => task.retries],
  ['result', (task) => task.resultPreview],
  ['error_name', (task) => task.errorName],
  ['error_message', (task) => task.errorMessage],
  ['runtime_s', (task) => task.runtime],
  ['created_at', (task) => task.createdAt],
  ['started_at', (task) => task.startedAt],
  ['succeeded_at', (task) => task.succeededAt],
  ['failed_at', (task) => task.failedAt],
];

/** Downloads every task matching the current filters (page by page, up to exportLimit) as CSV. */
/** Memoised: the task list re-renders with every live batch, this does not need to. */
export const ExportCsvButton = memo(function ExportCsvButton({ filters }: { filters: TaskFilters }) {
  const { toast } = useToast();
  const [progress, setProgress] = useState<number | null>(null);

  async function exportCsv() {
    setProgress(0);
    const rows: unknown[][] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await api.get<TaskPage>(paths.tasks, {
          query: { ...taskFilterParams(filters), limit: 200, cursor },
        });
        for (const task of page.tasks) rows.push(columns.map(([, read]) => read(task)));
        setProgress(rows.length);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && rows.length < exportLimit);
      downloadText(`lovage-tasks-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`, toCsv(columns.map(([name]) => name), rows));
      toast({
        tone: 'success',
        title: `Exported ${rows.length.toLocaleString()} tasks`,
        ...(cursor ? { description: `Stopped at ${exportLimit.toLocaleString()} rows: narrow the filters for the rest.` } : {}),
      });
    } catch (error) {
      toast({ tone: 'error', title: 'Export failed', description: error instanceof Error ? error.message : undefined });
    } finally {
      setProgress(null);
    }
  }

  return (
    <Button variant="secondary" size="sm" onClick={() => void exportCsv()} disabled={progress !== null}>
      {progress === null ? 'Export CSV' : `Exporting… ${progress.toLocaleString()}`}
    </Button>
  );
});
