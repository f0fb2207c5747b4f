// Folding live worker events (heartbeats, online/offline) into the cached worker list and
// keeping a short per-worker history for the list's sparklines.
import type { QueryClient } from '@tanstack/react-query';
import { hasStringFields } from './live';
import type { WorkerDetail, WorkerList, WorkerSummary } from './monitor';
import { queryKeys } from './query-keys';

export type WorkerPatch = Partial<WorkerSummary> & { hostname: string };

export function workerPatchesOf(payload: unknown): WorkerPatch[] {
  let items: unknown[] = [payload];
  if (Array.isArray(payload)) items = payload;
  else if (typeof payload === 'object' && payload !== null) {
    const wrapper = payload as { workers?: unknown; worker?: unknown };
    if (Array.isArray(wrapper.workers)) items = wrapper.workers;
    else if (wrapper.worker !== undefined) items = [wrapper.worker];
  }
  return items.filter((item): item is WorkerPatch => hasStringFields(item, 'hostname'));
}

function isComplete(patch: WorkerPatch): patch is WorkerSummary {
  return typeof patch.online === 'boolean' && hasStringFields(patch, 'hostname', 'firstSeen', 'lastHeartbeat');
}

export function foldWorkerPatches(queryClient: QueryClient, patches: WorkerPatch[]): void {
  if (patches.length === 0) return;
  const byHost = new Map<string, WorkerPatch>();
  for (const patch of patches) byHost.set(patch.hostname, { ...byHost.get(patch.hostname), ...patch });
  queryClient.setQueryData<WorkerList>(queryKeys.workers.list(), (current) => {
    if (!current) return current;
    const seen = new Set<string>();
    const workers = current.workers.map((worker) => {
      const patch = byHost.get(worker.hostname);
      if (!patch) return worker;
      seen.add(worker.hostname);
      return { ...worker, ...patch };
    });
    for (const patch of byHost.values()) if (!seen.has(patch.hostname) && isComplete(patch)) workers.push(patch);
    return { ...current, workers };
  });
  for (const patch of byHost.values()) {
    queryClient.setQueryData<WorkerDetail>(queryKeys.workers.detail(patch.hostname), (current) =>
      current ? { ...current, ...patch, heartbeats: current.heartbeats, runningTasks: current.runningTasks } : current,
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
