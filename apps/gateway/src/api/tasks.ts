// GET /tasks, /tasks/facets, /tasks/:id, /tasks/:id/logs, /tasks/:id/workflow: the task history the ingest keeps.
import type { Task, TaskLog } from '../generated/prisma/client.js';
import { NotFoundError } from '../errors.js';
import { listTasks, taskFacets, taskRowOf, type TaskListRow } from '../store/task-queries.js';
import { readWorkflow } from '../store/workflow-queries.js';
import { BIGINT_ID, decodeCursor, pageOf } from './pagination.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import {
  TaskDetailResponseSchema,
  TaskFacetsSchema,
  TaskIdParamsSchema,
  TaskListQuerySchema,
  TaskLogPageSchema,
  TaskLogsQuerySchema,
  TaskPageSchema,
  taskStates,
  WORKFLOW_GROUP_MEMBER_LIMIT,
  WORKFLOW_NODE_LIMIT,
  WorkflowResponseSchema,
  type TaskAttempt,
  type TaskLink,
  type TaskLogLine,
  type TaskProgress,
  type TaskSummary,
} from './schemas.js';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

export function toTaskSummary(row: TaskListRow): TaskSummary {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    queue: row.queue,
    worker: row.worker,
    args: row.args,
    retries: row.retries,
    priority: row.priority,
    eta: iso(row.eta),
    resultPreview: row.result_preview,
    errorName: row.error_name,
    errorMessage: row.error_message,
    runtime: row.runtime,
    parentId: row.parent_id,
    rootId: row.root_id,
    groupId: row.group_id,
    groupIndex: row.group_index,
    chordGroupId: row.chord_group_id,
    cluster: row.cluster,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    sentAt: iso(row.sent_at),
    receivedAt: iso(row.received_at),
    startedAt: iso(row.started_at),
    succeededAt: iso(row.succeeded_at),
    failedAt: iso(row.failed_at),
    retriedAt: iso(row.retried_at),
    revokedAt: iso(row.revoked_at),
    rejectedAt: iso(row.rejected_at),
  };
}

/** An attempt as Prisma reads it (Dates) or as the ingest hands it to the live feed (epoch ms). */
export interface AttemptLike {
  attempt: number;
  worker: string | null;
  startedAt: Date | number;
  endedAt: Date | number | null;
  outcome: TaskAttempt['outcome'];
  errorName: string | null;
  errorMessage: string | null;
  errorStack: string | null;
  nextRetryAt: Date | number | null;
  runtime: number | null;
}

const isoOf = (value: Date | number | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toTaskAttempt(row: AttemptLike): TaskAttempt {
  return {
    attempt: row.attempt,
    worker: row.worker,
    startedAt: new Date(row.startedAt).toISOString(),
    endedAt: isoOf(row.endedAt),
    outcome: row.outcome,
    errorName: row.errorName,
    errorMessage: row.errorMessage,
    errorStack: row.errorStack,
    nextRetryAt: isoOf(row.nextRetryAt),
    runtime: row.runtime,
  };
}

function toTaskProgress(task: Pick<Task, 'progress' | 'progressMeta' | 'progressAt'>): TaskProgress | null {
  if (task.progress === null || task.progressAt === null) return null;
  return { value: task.progress, meta: task.progressMeta ?? null, at: task.progressAt.toISOString() };
}

function toTaskLogLine(row: TaskLog): TaskLogLine {
  const fields = row.fields;
  return {
    id: row.id.toString(),
    attempt: row.attempt,
    at: row.at.toISOString(),
    level: row.level,
    message: row.message,
    fields: typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields) : null,
  };
}

const LINK_SELECT = { id: true, name: true, state: true, createdAt: true } as const;
type LinkRow = Pick<Task, 'id' | 'name' | 'state' | 'createdAt'>;
const toLink = (row: LinkRow): TaskLink => ({ id: row.id, name: row.name, state: row.state, createdAt: row.createdAt.toISOString() });

export function registerTaskRoutes(registrar: RouteRegistrar): void {
  const prisma = registrar.app.database.prisma;

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks',
    summary: 'List tasks, newest first, filtered by state, name, worker, queue, cluster, text and time',
    tag: 'tasks',
    access: 'viewer',
    query: TaskListQuerySchema,
    response: TaskPageSchema,
    async handler({ query }) {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await listTasks(prisma, {
        states: query.state,
        name: query.name,
        worker: query.worker,
        queue: query.queue,
        cluster: query.cluster,
        q: query.q,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        after,
        limit: query.limit,
      });
      const page = pageOf(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }));
      return { tasks: page.rows.map(toTaskSummary), nextCursor: page.nextCursor };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks/facets',
    summary: 'Distinct task names, queues, workers and Celery clusters, for filter menus',
    tag: 'tasks',
    access: 'viewer',
    response: TaskFacetsSchema,
    async handler() {
      return { ...(await taskFacets(prisma)), states: [...taskStates] };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks/:id',
    summary: 'One task with its attempts (the retry history) and its related tasks',
    tag: 'tasks',
    access: 'viewer',
    params: TaskIdParamsSchema,
    response: TaskDetailResponseSchema,
    async handler({ params }) {
      const task = await prisma.task.findUnique({ where: { id: params.id }, include: { attempts: { orderBy: { attempt: 'asc' } } } });
      if (!task) throw new NotFoundError(`No task ${params.id}`);
      const linked = [task.parentId, task.rootId, task.retriedFromId, task.retriedIntoId].filter((id): id is string => id !== null && id !== task.id);
      const [links, children, replays, run] = await Promise.all([
        linked.length > 0 ? prisma.task.findMany({ where: { id: { in: linked } }, select: LINK_SELECT }) : Promise.resolve([]),
        prisma.task.findMany({ where: { parentId: task.id, NOT: { id: task.id } }, select: LINK_SELECT, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: 100 }),
        prisma.task.findMany({ where: { retriedFromId: task.id, NOT: { id: task.id } }, select: LINK_SELECT, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 20 }),
        prisma.scheduleRun.findFirst({ where: { taskId: task.id }, select: { scheduleName: true, dueAt: true } }),
      ]);
      const byId = new Map(links.map((link) => [link.id, link]));
      const link = (id: string | null): TaskLink | null => {
        if (id === null) return null;
        const row = id === task.id ? task : byId.get(id);
        return row ? toLink(row) : null;
      };
      const summary = toTaskSummary(taskRowOf(task));
      return {
        task: {
          ...summary,
          kwargs: task.kwargs ?? null,
          errorStack: task.errorStack,
          expires: iso(task.expires),
          retriedFromId: task.retriedFromId,
          retriedIntoId: task.retriedIntoId,
          attempts: task.attempts.map(toTaskAttempt),
          parent: link(task.parentId),
          root: link(task.rootId),
          children: children.map(toLink),
          retriedFrom: link(task.retriedFromId),
          retriedInto: link(task.retriedIntoId),
          replays: replays.map(toLink),
          schedule: run ? { name: run.scheduleName, dueAt: run.dueAt.toISOString() } : null,
          progress: toTaskProgress(task),
          traceId: task.traceId,
        },
      };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks/:id/logs',
    summary:
      "The lines the task wrote with currentTask().log() or its logger, every attempt's, oldest first (order=desc: newest first), paginated. The monitor keeps the newest LOVAGE_TASK_LOG_LIMIT (1,000) per task.",
    tag: 'tasks',
    access: 'viewer',
    params: TaskIdParamsSchema,
    query: TaskLogsQuerySchema,
    response: TaskLogPageSchema,
    async handler({ params, query }) {
      const exists = await prisma.task.findUnique({ where: { id: params.id }, select: { id: true } });
      if (!exists) throw new NotFoundError(`No task ${params.id}`);
      const after = query.cursor ? decodeCursor(query.cursor, BIGINT_ID) : undefined;
      const desc = query.order === 'desc';
      const direction = desc ? 'lt' : 'gt';
      const rows = await prisma.taskLog.findMany({
        where: {
          taskId: params.id,
          ...(after ? { OR: [{ at: { [direction]: after.at } }, { at: after.at, id: { [direction]: BigInt(after.id) } }] } : {}),
        },
        orderBy: [{ at: query.order }, { id: query.order }],
        take: query.limit + 1,
      });
      const page = pageOf(rows, query.limit, (row) => ({ at: row.at, id: row.id.toString() }));
      return { logs: page.rows.map(toTaskLogLine), nextCursor: page.nextCursor };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks/:id/workflow',
    summary: `The whole graph of the task's workflow (chain, group, chord): every member's name, state and runtime, and the edges between them. At most ${WORKFLOW_NODE_LIMIT} members are listed (${WORKFLOW_GROUP_MEMBER_LIMIT} per group, failed ones first); the rest are counted, and \`truncated\` says so. A task outside any workflow answers a graph of itself alone.`,
    tag: 'tasks',
    access: 'viewer',
    params: TaskIdParamsSchema,
    response: WorkflowResponseSchema,
    async handler({ params }) {
      const workflow = await readWorkflow(prisma, params.id);
      if (!workflow) throw new NotFoundError(`No task ${params.id}`);
      return { workflow };
    },
  });
}
