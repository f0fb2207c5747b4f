// The task list's SQL: filters, full-text search and keyset pagination that the
// indexes of `tasks` serve (see prisma/schema.prisma). Written as SQL rather
// than through Prisma's query builder because the full-text predicate on the
// generated tsvector column has no Prisma form, and because the plan matters:
//
//   ORDER BY created_at DESC, id ASC   matches every (x, created_at DESC, id)
//   index read forwards, so a filter on state, name, worker or queue (one of
//   them) walks its own index in order and stops after `limit + 1` rows; with
//   no filter, tasks_created_at_id_idx does the same. The cursor predicate
//   `created_at <= $at AND (created_at < $at OR id > $id)` starts that walk at
//   the cursor, so page 1,000 costs what page 1 costs.
//
//   The name index ends with queue and state: a name with a queue or a state
//   is checked on the index entries (an index condition), so a combination no
//   task has reads the index entries of one name, not their rows (at 1M tasks,
//   12 ms where a BitmapAnd of the name and queue indexes took 116).
import type { PrismaClient, Task } from '../generated/prisma/client.js';
import type { TaskState } from '../api/monitor-schemas.js';
import { OWN_CLUSTER } from '../config.js';

export interface TaskFilter {
  states?: TaskState[] | undefined;
  name?: string | undefined;
  worker?: string | undefined;
  queue?: string | undefined;
  /** A watched Celery cluster's name, or OWN_CLUSTER for Lovage's own tasks (cluster null). */
  cluster?: string | undefined;
  q?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Rows strictly after this position in the list's order. */
  after?: { at: Date; id: string } | undefined;
  /** Also read kwargs, error_stack and expires (Flower's task dicts carry them). */
  full?: boolean | undefined;
  /** Rows skipped (Flower's offset paging; the v1 API pages by cursor). */
  offset?: number | undefined;
  limit: number;
}

/** The columns a list row shows (no stack, no kwargs: the detail has those). */
export interface TaskListRow {
  id: string;
  name: string;
  state: TaskState;
  queue: string;
  worker: string | null;
  args: unknown;
  retries: number;
  priority: number | null;
  eta: Date | null;
  result_preview: string | null;
  error_name: string | null;
  error_message: string | null;
  runtime: number | null;
  parent_id: string | null;
  root_id: string | null;
  group_id: string | null;
  group_index: number | null;
  chord_group_id: string | null;
  cluster: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
  received_at: Date | null;
  started_at: Date | null;
  succeeded_at: Date | null;
  failed_at: Date | null;
  retried_at: Date | null;
  revoked_at: Date | null;
  rejected_at: Date | null;
  /** Only with `full`. */
  kwargs?: unknown;
  error_stack?: string | null;
  expires?: Date | null;
}

/** A task read through Prisma, in the list's row shape (with the `full` columns). */
export function taskRowOf(task: Task): TaskListRow {
  return {
    id: task.id,
    name: task.name,
    state: task.state,
    queue: task.queue,
    worker: task.worker,
    args: task.args,
    retries: task.retries,
    priority: task.priority,
    eta: task.eta,
    result_preview: task.resultPreview,
    error_name: task.errorName,
    error_message: task.errorMessage,
    runtime: task.runtime,
    parent_id: task.parentId,
    root_id: task.rootId,
    group_id: task.groupId,
    group_index: task.groupIndex,
    chord_group_id: task.chordGroupId,
    cluster: task.cluster,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    sent_at: task.sentAt,
    received_at: task.receivedAt,
    started_at: task.startedAt,
    succeeded_at: task.succeededAt,
    failed_at: task.failedAt,
    retried_at: task.retriedAt,
    revoked_at: task.revokedAt,
    rejected_at: task.rejectedAt,
    kwargs: task.kwargs,
    error_stack: task.errorStack,
    expires: task.expires,
  };
}

const LIST_COLUMNS = `id, name, state::text AS state, queue, worker, args, retries, priority, eta, result_preview, error_name,
  error_message, runtime, parent_id, root_id, group_id, group_index, chord_group_id, cluster, created_at, updated_at, sent_at, received_at, started_at, succeeded_at,
  failed_at, retried_at, revoked_at, rejected_at`;

/** The SQL and parameters of one page of the task list (exported for EXPLAIN in the bench and tests). */
export function taskListSql(filter: TaskFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.states && filter.states.length > 0) {
    // One parameter per state: PGlite's adapter cannot bind a JS array, and the
    // planner sees each value (and picks the state index for rare states).
    where.push(`state IN (${filter.states.map((state) => `${param(state)}::task_state`).join(', ')})`);
  }
  if (filter.name !== undefined) where.push(`name = ${param(filter.name)}`);
  if (filter.worker !== undefined) where.push(`worker = ${param(filter.worker)}`);
  if (filter.queue !== undefined) where.push(`queue = ${param(filter.queue)}`);
  if (filter.cluster !== undefined) where.push(filter.cluster === OWN_CLUSTER ? 'cluster IS NULL' : `cluster = ${param(filter.cluster)}`);
  if (filter.q !== undefined) where.push(`search_vector @@ plainto_tsquery('simple', ${param(filter.q)})`);
  if (filter.since !== undefined) where.push(`created_at >= ${param(filter.since)}::timestamptz`);
  if (filter.until !== undefined) where.push(`created_at < ${param(filter.until)}::timestamptz`);
  if (filter.after !== undefined) {
    const at = param(filter.after.at);
    where.push(`created_at <= ${at}::timestamptz AND (created_at < ${at}::timestamptz OR id > ${param(filter.after.id)})`);
  }
  const sql = `SELECT ${LIST_COLUMNS}${filter.full ? ', kwargs, error_stack, expires' : ''} FROM tasks${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
 ORDER BY created_at DESC, id ASC LIMIT ${param(filter.limit + 1)}${filter.offset ? ` OFFSET ${param(filter.offset)}` : ''}`;
  return { sql, params };
}

/** `limit + 1` rows of the list (the extra one tells whether a next page exists). */
export async function listTasks(prisma: PrismaClient, filter: TaskFilter): Promise<TaskListRow[]> {
  const { sql, params } = taskListSql(filter);
  return prisma.$queryRawUnsafe<TaskListRow[]>(sql, ...params);
}

/**
 * Distinct values of an indexed column by a loose index scan (a recursive
 * query that jumps from one value to the next through the index): milliseconds
 * on millions of rows, where SELECT DISTINCT would read them all.
 */
async function distinctValues(prisma: PrismaClient, column: 'name' | 'queue' | 'worker' | 'cluster', max: number): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ value: string }[]>(
    `WITH RECURSIVE walk AS (
       (SELECT ${column} AS value FROM tasks WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT 1)
       UNION ALL
       SELECT (SELECT ${column} FROM tasks WHERE ${column} > walk.value ORDER BY ${column} LIMIT 1)
         FROM walk WHERE walk.value IS NOT NULL
     )
     SELECT value FROM walk WHERE value IS NOT NULL LIMIT $1`,
    max,
  );
  return rows.map((row) => row.value);
}

/** The filter menus' values; `clusters` names the Celery clusters seen, [] when only Lovage's own tasks are stored. */
export async function taskFacets(prisma: PrismaClient, max = 500): Promise<{ names: string[]; queues: string[]; workers: string[]; clusters: string[] }> {
  const [names, queues, workers, clusters] = await Promise.all([
    distinctValues(prisma, 'name', max),
    distinctValues(prisma, 'queue', max),
    distinctValues(prisma, 'worker', max),
    distinctValues(prisma, 'cluster', max),
  ]);
  return { names, queues, workers, clusters };
}

/** Below this estimate the exact count is cheap enough to take. */
const EXACT_COUNT_BELOW = 200_000;

/**
 * How many tasks are stored: Postgres's estimate (pg_class.reltuples, kept by
 * autovacuum) for large tables, where count(*) would read millions of rows;
 * the exact count for small ones, whose estimate may be stale or missing.
 */
export async function estimateTaskCount(prisma: PrismaClient): Promise<number> {
  const [estimate] = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'tasks'::regclass`);
  const n = estimate?.n ?? -1;
  if (n >= EXACT_COUNT_BELOW) return Math.round(n);
  const [exact] = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM tasks`);
  return exact?.n ?? 0;
}
