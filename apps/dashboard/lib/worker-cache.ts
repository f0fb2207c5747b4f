// Folding live worker events (heartbeats, online/offline) into the cached worker list and
// keeping a short per-worker history for the list's sparklines.
import type { QueryClient } from '@tanstack/react-query';
import { foldLiveUpdate } from './live';
import type { WorkerDetail, WorkerList, WorkerSummary } from './monitor';
import { queryKeys } from './query-keys';

/**
 * Folds live worker rows (whole WorkerSummary rows from `workers:update` and `worker:update`)
 * into the cached worker list and each cached worker detail; a worker new to the list is added.
 */
export function foldWorkers(queryClient: QueryClient, rows: WorkerSummary[]): void {
  if (rows.length === 0) return;
  const byHost = new Map<string, WorkerSummary>();
  for (const row of rows) byHost.set(row.hostname, row);
  queryClient.setQueryData<WorkerList>(queryKeys.workers.list(), (current) => {
    if (!current) return current;
    const seen = new Set<string>();
    const workers = current.workers.map((worker) => {
      const row = byHost.get(worker.hostname);
      if (!row) return worker;
      seen.add(worker.hostname);
      return row;
    });
    for (const row of byHost.values()) if (!seen.has(row.hostname)) workers.push(row);
    return { ...current, workers };
  });
  for (const row of byHost.values()) {
    foldLiveUpdate<WorkerDetail>(queryClient, queryKeys.workers.detail(row.hostname), (current) =>
      current ? { ...current, ...row, heartbeats: current.heartbeats, runningTasks: current.runningTasks } : current,
    );
  }
}

/** Active-task counts per worker as this page saw them, newest last (the list's sparklines). */
const history = new Map<string, { at: string; active: number }[]>();

export function recordWorkerSamples(workers: WorkerSummary[]): void {
  for (const worker of workers) {
    const samples = history.get(worker.hostname) ?? [];
    if (samples.at(-1)?.at !== worker.lastHeartbeat) samples.push({ at: worker.lastHeartbeat, active: worker.active });
    history.set(worker.hostname, samples.slice(-30));
  }
}

export function workerSamples(hostname: string): number[] {
  return (history.get(hostname) ?? []).map((sample) => sample.active);
}
