// Folding live task events into the cached task-list pages: one setQueryData per list and
// batch, rows updated in place, new rows put on top of lists whose filters they match.
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { TaskPage, TaskSummary } from './monitor';
import { queryKeys } from './query-keys';
import { taskMatchesFilters, type TaskFilters } from './task-filters';

/**
 * Folds the rows of live `tasks:update` batches (whole TaskSummary rows, latest state) into
 * every cached task list: rows update in place, new ones go on top of lists whose filters
 * they match. A task in several batches keeps its latest row.
 */
export function foldTasks(queryClient: QueryClient, rows: TaskSummary[]): void {
  if (rows.length === 0) return;
  const byId = new Map<string, TaskSummary>();
  for (const row of rows) byId.set(row.id, row);

  for (const [key, data] of queryClient.getQueriesData<InfiniteData<TaskPage>>({ queryKey: queryKeys.tasks.lists() })) {
    if (!data) continue;
    const filters = key[2] as TaskFilters | undefined;
    const seen = new Set<string>();
    let changed = false;
    const pages = data.pages.map((page) => {
      let pageChanged = false;
      const tasks = page.tasks.map((task) => {
        const row = byId.get(task.id);
        if (!row) return task;
        seen.add(task.id);
        pageChanged = true;
        return row;
      });
      if (!pageChanged) return page;
      changed = true;
      return { ...page, tasks };
    });
    const fresh = [...byId.values()]
      .filter((row) => !seen.has(row.id))
      .filter((task) => (filters ? taskMatchesFilters(task, filters) : true))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    const first = pages[0];
    if (fresh.length > 0 && first) {
      pages[0] = { ...first, tasks: [...fresh, ...first.tasks] };
      changed = true;
    }
    if (changed) queryClient.setQueryData<InfiniteData<TaskPage>>(key, { ...data, pages });
  }
}
