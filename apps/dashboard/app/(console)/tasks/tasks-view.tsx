'use client';

import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useHasRole } from '@/components/current-user';
import { ClusterBadge } from '@/components/cluster-badge';
import { TaskStateBadge } from '@/components/task-state-badge';
import { RelativeTime } from '@/components/ui/relative-time';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { api } from '@/lib/api-client';
import { createBatcher, useLiveRoom } from '@/lib/live';
import { paths, type TaskPage, type TaskSummary } from '@/lib/monitor';
import { formatSeconds, previewJson } from '@/lib/format';
import { queryKeys } from '@/lib/query-keys';
import { foldTasks } from '@/lib/task-cache';
import { hasTaskFilters, liveFilterOf, parseTaskFilters, taskFilterParams, tasksHref, type TaskFilters } from '@/lib/task-filters';
import { BulkActions } from './bulk-actions';
import { ExportCsvButton } from './export-csv';
import { TaskFilterBar } from './task-filter-bar';

const pageSize = 100;
const rowHeight = 44;

export function useTaskList(filters: TaskFilters) {
  return useInfiniteQuery({
    queryKey: queryKeys.tasks.list(filters),
    queryFn: ({ pageParam, signal }) =>
      api.get<TaskPage>(paths.tasks, {
        query: { ...taskFilterParams(filters), limit: pageSize, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Live events keep the list current; a refetch would re-read every loaded page.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}

/**
 * One row's cells. Memoised apart from the row itself: a live batch that puts new tasks on top
 * moves every visible row down, and a moved row then changes only its offset, not its cells.
 */
const TaskCells = memo(function TaskCells({
  task,
  mayAct,
  checked,
  onToggle,
}: {
  task: TaskSummary;
  mayAct: boolean;
  checked: boolean;
  onToggle: (id: string) => void;
}) {
  return (
    <>
      <div role="cell">
        {mayAct ? (
          <input
            type="checkbox"
            aria-label={`Select task ${task.id}`}
            checked={checked}
            onChange={() => onToggle(task.id)}
          />
        ) : null}
      </div>
      <div role="cell">
        <TaskStateBadge state={task.state} />
      </div>
      <div role="cell" className="truncate">
        {/* No prefetch: live traffic brings a new row every moment, and each would fetch its page. */}
        <Link href={`/tasks/${encodeURIComponent(task.id)}`} prefetch={false} className="font-medium text-accent hover:underline" title={task.id}>
          {task.name}
        </Link>
        <ClusterBadge cluster={task.cluster} />
      </div>
      <div role="cell" className="truncate font-mono text-xs text-ink-muted" title={previewJson(task.args, 500)}>
        {previewJson(task.args, 60)}
      </div>
      <div role="cell" className="hidden truncate text-xs md:block" title={task.worker ?? ''}>
        {task.worker ?? '—'}
      </div>
      <div role="cell" className="hidden truncate text-xs md:block">
        {task.queue}
      </div>
      <div role="cell" className="text-xs tabular-nums">
        {formatSeconds(task.runtime)}
      </div>
      <div role="cell" className="text-xs text-ink-muted">
        <RelativeTime value={task.createdAt} />
      </div>
    </>
  );
});

/**
 * One row of the virtual list, placed by a transform (moving it needs no layout). Memoised: a
 * live batch re-renders only the rows whose task changed or moved. Its height is fixed, so it
 * is contained (`contain: strict`): what changes inside one row lays out and paints only it.
 */
const TaskRow = memo(function TaskRow({
  task,
  index,
  top,
  mayAct,
  checked,
  onToggle,
}: {
  task: TaskSummary;
  index: number;
  top: number;
  mayAct: boolean;
  checked: boolean;
  onToggle: (id: string) => void;
}) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      data-task-id={task.id}
      style={{ position: 'absolute', top: 0, left: 0, right: 0, height: rowHeight, transform: `translateY(${top}px)`, contain: 'strict' }}
      className="grid grid-cols-[2rem_6.5rem_minmax(9rem,1.3fr)_minmax(6rem,1fr)_7rem_6rem] items-center gap-2 border-b border-line/60 px-3 hover:bg-line/30 md:grid-cols-[2rem_6.5rem_minmax(9rem,1.3fr)_minmax(6rem,1fr)_minmax(6rem,0.8fr)_6rem_5.5rem_7rem]"
    >
      <TaskCells task={task} mayAct={mayAct} checked={checked} onToggle={onToggle} />
    </div>
  );
});

export function TasksView() {
  const searchParams = useSearchParams();
  const search = searchParams.toString();
  const filters = useMemo(() => parseTaskFilters(new URLSearchParams(search)), [search]);
  const router = useRouter();
  const queryClient = useQueryClient();
  const mayAct = useHasRole('operator');

  const list = useTaskList(filters);
  const tasks = useMemo(() => list.data?.pages.flatMap((page) => page.tasks) ?? [], [list.data]);

  // Live changes land in the cache once every 2 s at most, however many messages came: a busy
  // feed costs one re-render per 2 s, and a change still shows within about 2 s.
  const [batcher] = useState(() =>
    createBatcher<TaskSummary>(2_000, (rows) => foldTasks(queryClient, rows)),
  );
  // More changes than one live message carries: re-read the list, at most every 5 s.
  const [resync] = useState(() =>
    createBatcher<number>(5_000, () => void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.lists() })),
  );
  useEffect(
    () => () => {
      batcher.cancel();
      resync.cancel();
    },
    [batcher, resync],
  );
  useLiveRoom(
    'tasks',
    {
      onUpdate: ({ tasks, dropped }) => {
        for (const task of tasks) batcher.push(task);
        if (dropped > 0) resync.push(dropped);
      },
      onReconnect: () => void queryClient.invalidateQueries({ queryKey: queryKeys.tasks.lists() }),
    },
    liveFilterOf(filters),
  );

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const filtersKey = JSON.stringify(filters);
  const [selectionKey, setSelectionKey] = useState(filtersKey);
  if (selectionKey !== filtersKey) {
    // A new filter is a new list: a selection from the old one would act on rows not shown.
    setSelectionKey(filtersKey);
    setSelected(new Set());
    setAllMatching(false);
  }

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= tasks.length - 20) void fetchNextPage();
  }, [lastIndex, tasks.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const changeFilters = useCallback((next: TaskFilters) => router.replace(tasksHref(next), { scroll: false }), [router]);

  const toggle = useCallback((id: string) => {
    setAllMatching(false);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const allLoadedSelected = tasks.length > 0 && tasks.every((task) => selected.has(task.id));

  return (
    <>
      <TaskFilterBar filters={filters} onChange={changeFilters} />
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <p className="text-sm text-ink-muted" aria-live="polite">
          {list.isPending
            ? 'Loading…'
            : `${tasks.length.toLocaleString()}${list.hasNextPage ? '+' : ''} task${tasks.length === 1 ? '' : 's'}${hasTaskFilters(filters) ? ' match these filters' : ''}`}
        </p>
        <div className="ml-auto flex flex-wrap gap-2">
          <ExportCsvButton filters={filters} />
        </div>
      </div>
      {mayAct ? (
        <BulkActions
          filters={filters}
          selectedIds={[...selected]}
          allMatching={allMatching}
          loadedCount={tasks.length}
          onSelectAllMatching={() => setAllMatching(true)}
          onClear={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      ) : null}
      {list.isPending ? (
        <Skeleton rows={10} label="Loading tasks" />
      ) : list.isError ? (
        <ErrorState what="tasks" error={list.error} onRetry={() => void list.refetch()} />
      ) : tasks.length === 0 ? (
        <EmptyState title={hasTaskFilters(filters) ? 'No tasks match these filters' : 'No tasks yet'}>
          {hasTaskFilters(filters)
            ? 'Widen the filters or clear them to see every task.'
            : 'Tasks appear here as soon as a worker receives them: start a worker and send a task.'}
        </EmptyState>
      ) : (
        <div
          role="table"
          aria-label="Tasks"
          aria-rowcount={tasks.length + 1}
          className="overflow-x-auto rounded-lg border border-line bg-surface-raised text-sm"
        >
          <div role="rowgroup" className="min-w-[640px]">
            <div role="row" className="grid grid-cols-[2rem_6.5rem_minmax(9rem,1.3fr)_minmax(6rem,1fr)_7rem_6rem] gap-2 border-b border-line px-3 py-2 text-xs font-medium text-ink-muted uppercase md:grid-cols-[2rem_6.5rem_minmax(9rem,1.3fr)_minmax(6rem,1fr)_minmax(6rem,0.8fr)_6rem_5.5rem_7rem]">
              <div role="columnheader">
                {mayAct ? (
                  <input
                    type="checkbox"
                    aria-label="Select all loaded tasks"
                    checked={allLoadedSelected}
                    onChange={() => {
                      setAllMatching(false);
                      setSelected(allLoadedSelected ? new Set() : new Set(tasks.map((task) => task.id)));
                    }}
                  />
                ) : null}
              </div>
              <div role="columnheader">State</div>
              <div role="columnheader">Task</div>
              <div role="columnheader">Args</div>
              <div role="columnheader" className="hidden md:block">
                Worker
              </div>
              <div role="columnheader" className="hidden md:block">
                Queue
              </div>
              <div role="columnheader">Runtime</div>
              <div role="columnheader">Created</div>
            </div>
          </div>
          <div ref={scrollRef} role="rowgroup" className="h-[min(65vh,720px)] min-w-[640px] overflow-y-auto">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const task = tasks[item.index];
                if (!task) return null;
                return (
                  <TaskRow
                    key={task.id}
                    task={task}
                    index={item.index}
                    top={item.start}
                    mayAct={mayAct}
                    checked={allMatching || selected.has(task.id)}
                    onToggle={toggle}
                  />
                );
              })}
            </div>
            {list.isFetchingNextPage ? <p className="p-3 text-center text-xs text-ink-muted">Loading more…</p> : null}
          </div>
        </div>
      )}
    </>
  );
}
