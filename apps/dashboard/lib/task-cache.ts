// Folding live task events into the cached task-list pages: one setQueryData per list and
// batch, rows updated in place, new rows put on top of lists whose filters they match.
import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import { hasStringFields } from './live';
import type { TaskPage, TaskSummary } from './monitor';
import { queryKeys } from './query-keys';
import { taskMatchesFilters, type TaskFilters } from './task-filters';

/** The task fields a live event carries: always the id, often only what changed. */
export type TaskPatch = Partial<TaskSummary> & { id: string };

/** Task event payloads as the gateway might send them: one task, an array, or `{ tasks: [...] }`. */
export function taskPatchesOf(payload: unknown): TaskPatch[] {
  let items: unknown[] = [payload];
  if (Array.isArray(payload)) items = payload;
  else if (typeof payload === 'object' && payload !== null) {
    const wrapper = payload as { tasks?: unknown; task?: unknown };
    if (Array.isArray(wrapper.tasks)) items = wrapper.tasks;
    else if (wrapper.task !== undefined) items = [wrapper.task];
  }
  return items.filter((item): item is TaskPatch => hasStringFields(item, 'id'));
}

function isComplete(patch: TaskPatch): patch is TaskSummary {
  return hasStringFields(patch, 'id', 'name', 'state', 'queue', 'createdAt');
}

export function foldTaskPatches(queryClient: QueryClient, patches: TaskPatch[]): void {
  if (patches.length === 0) return;
  const byId = new Map<string, TaskPatch>();
  for (const patch of patches) byId.set(patch.id, { ...byId.get(patch.id), ...patch });

  for (const [key, data] of queryClient.getQueriesData<InfiniteData<TaskPage>>({ queryKey: queryKeys.tasks.lists() })) {
    if (!data) continue;
    const filters = key[2] as TaskFilters | undefined;
    const seen = new Set<string>();
    let changed = false;
    const pages = data.pages.map((page) => {
      let pageChanged = false;
      const tasks = page.tasks.map((task) => {
        const patch = byId.get(task.id);
        if (!patch) return task;
        seen.add(task.id);
        pageChanged = true;
        return { ...task, ...patch };
      });
      if (!pageChanged) return page;
      changed = true;
      return { ...page, tasks };
    });
    const fresh = [...byId.values()]
      .filter((patch) => !seen.has(patch.id))
      .filter(isComplete)
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
