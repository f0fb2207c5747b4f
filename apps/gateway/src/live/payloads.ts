// Rows as the live feed sends them: the same shapes as the REST API's
// (TaskSummary, TaskAttempt, WorkerSummary, QueueSummary), so the dashboard can
// fold a live update straight into what it fetched. Attempts and queues use the
// REST API's own mappers (toTaskAttempt, toQueueSummary).
import type { TaskLogLine, TaskProgress, TaskSummary, WorkerSummary } from '../api/monitor-schemas.js';
import type { TaskLogRow, TaskRow, WorkerSnapshot } from '../ingest/batch-result.js';
import type { LiveTaskFilter, LiveTaskUpdate } from './schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function parseArgs(text: string | null): unknown {
  if (text === null) return [];
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function taskSummary(row: TaskRow, updatedAt: number): TaskSummary {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    queue: row.queue,
    worker: row.worker,
    args: parseArgs(row.args),
    retries: row.retries,
    priority: row.priority,
    eta: iso(row.eta),
    resultPreview: row.resultPreview,
    errorName: row.errorName,
    errorMessage: row.errorMessage,
    runtime: row.runtime,
    parentId: row.parentId,
    rootId: row.rootId,
    groupId: row.groupId,
    groupIndex: row.groupIndex,
    chordGroupId: row.chordGroupId,
    cluster: row.cluster,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    sentAt: iso(row.sentAt),
    receivedAt: iso(row.receivedAt),
    startedAt: iso(row.startedAt),
    succeededAt: iso(row.succeededAt),
    failedAt: iso(row.failedAt),
    retriedAt: iso(row.retriedAt),
    revokedAt: iso(row.revokedAt),
    rejectedAt: iso(row.rejectedAt),
  };
}

export function taskDetail(row: TaskRow, updatedAt: number): LiveTaskUpdate['task'] {
  return { ...taskSummary(row, updatedAt), errorStack: row.errorStack, expires: iso(row.expires), progress: taskProgressOf(row) };
}

function taskProgressOf(row: TaskRow): TaskProgress | null {
  if (row.progress === null || row.progressAt === null) return null;
  return { value: row.progress, meta: row.progressMeta === null ? null : parseArgs(row.progressMeta), at: new Date(row.progressAt).toISOString() };
}

export function taskLogLine(row: TaskLogRow): TaskLogLine {
  return { id: row.id, attempt: row.attempt, at: new Date(row.at).toISOString(), level: row.level, message: row.message, fields: row.fields };
}

export function workerSummary(row: WorkerSnapshot): WorkerSummary {
  return {
    ...row,
    firstSeen: new Date(row.firstSeen).toISOString(),
    lastHeartbeat: new Date(row.lastHeartbeat).toISOString(),
    statsAt: row.statsAt === null ? null : new Date(row.statsAt).toISOString(),
  };
}

export function matchesFilter(task: TaskRow, filter: LiveTaskFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.state && !filter.state.includes(task.state)) return false;
  if (filter.name !== undefined && task.name !== filter.name) return false;
  if (filter.worker !== undefined && task.worker !== filter.worker) return false;
  if (filter.queue !== undefined && task.queue !== filter.queue) return false;
  if (filter.rootId !== undefined && task.rootId !== filter.rootId && task.id !== filter.rootId) return false;
  return true;
}

/** A stable room name per distinct filter, so sockets with the same filter share one emit. */
export function tasksRoomOf(filter: LiveTaskFilter | undefined): string {
  if (!filter || Object.keys(filter).length === 0) return 'tasks';
  const normalized = {
    state: filter.state ? [...new Set(filter.state)].sort() : undefined,
    name: filter.name,
    worker: filter.worker,
    queue: filter.queue,
    rootId: filter.rootId,
  };
  return `tasks?${JSON.stringify(normalized)}`;
}
