// Flower's read endpoints, in Flower's JSON shapes, so scripts written against
// Flower's API keep working (with a bearer token; every endpoint needs the
// viewer role, unlike Flower, which answers anyone):
//   GET /api/workers?workername=&status=      {hostname: {stats, active_queues, active, ...}} or {hostname: online}
//   GET /api/tasks?limit=&offset=&workername=&taskname=&state=&received_start=&received_end=&search=
//                                            {task_id: {uuid, name, state, received, ..., worker}}
//   GET /api/task/info/:id                   one task dict (with children)
//   GET /api/task/result/:id?timeout=        {"task-id", "state", "result"} (+ "traceback" on failure)
//   GET /api/queues/length                   {"active_queues": [{"name", "messages"}]}
// Flower's instants are Unix seconds (floats); args and kwargs are strings.
// The actions (async-apply, revoke) live in flower/actions.ts.
import type { Lovage } from '@lovage/engine';
import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { OpenApiRegistry } from '../api/openapi.js';
import { defineRoute } from '../api/route.js';
import { TaskStateSchema } from '../api/schemas.js';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/session-store.js';
import { NotFoundError } from '../errors.js';
import { listTasks, taskRowOf, type TaskListRow } from '../store/task-queries.js';

export const FLOWER_READ_PREFIX = '/api';

export interface FlowerReadOptions {
  sessions: SessionStore;
  allowedOrigins: string[];
  engine: Lovage | null;
}

const seconds = (date: Date | null | undefined): number | null => (date ? date.getTime() / 1_000 : null);

/** Flower's task dict (celery.events.state.Task.as_dict, as Flower serves it). */
export function flowerTask(row: TaskListRow, children: string[] = []): Record<string, unknown> {
  const finishedAt = row.succeeded_at ?? row.failed_at ?? row.revoked_at ?? row.rejected_at;
  const timestamps = [row.sent_at, row.received_at, row.started_at, row.retried_at, finishedAt].filter((d): d is Date => d !== null);
  const latest = timestamps.reduce<Date | null>((max, d) => (max === null || d > max ? d : max), null);
  return {
    uuid: row.id,
    name: row.name,
    state: row.state,
    sent: seconds(row.sent_at),
    received: seconds(row.received_at),
    started: seconds(row.started_at),
    succeeded: seconds(row.succeeded_at),
    failed: seconds(row.failed_at),
    retried: seconds(row.retried_at),
    revoked: seconds(row.revoked_at),
    rejected: seconds(row.rejected_at),
    args: typeof row.args === 'string' ? row.args : JSON.stringify(row.args),
    kwargs: row.kwargs === undefined || row.kwargs === null ? '{}' : JSON.stringify(row.kwargs),
    eta: row.eta?.toISOString() ?? null,
    expires: row.expires?.toISOString() ?? null,
    retries: row.retries,
    worker: row.worker,
    result: row.result_preview,
    exception: row.error_name === null ? null : `${row.error_name}(${JSON.stringify(row.error_message ?? '')})`,
    traceback: row.error_stack ?? null,
    timestamp: seconds(latest ?? row.created_at),
    runtime: row.runtime,
    exchange: null,
    routing_key: row.queue,
    queue: row.queue,
    priority: row.priority,
    clock: 0,
    client: null,
    root_id: row.root_id,
    parent_id: row.parent_id,
    children,
  };
}

/** Flower reads dates in `received_start` / `received_end` as 'YYYY-MM-DD HH:MM' (UTC); ISO 8601 is accepted too. */
const flowerDate = z
  .string()
  .max(40)
  .transform((value, context) => {
    const flower = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$/.exec(value);
    const date = new Date(flower ? `${flower[1]}T${flower[2]}:00Z` : value);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: 'custom', message: "must be 'YYYY-MM-DD HH:MM' or an ISO 8601 date-time" });
      return z.NEVER;
    }
    return date;
  });

const flowerBool = z.enum(['true', 'false', 'True', 'False', '1', '0'], { message: 'must be true or false' }).transform((value) => value === 'true' || value === 'True' || value === '1');

const TasksQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  workername: z.string().min(1).max(300).optional(),
  taskname: z.string().min(1).max(200).optional(),
  state: TaskStateSchema.optional(),
  queue: z.string().min(1).max(200).optional(),
  received_start: flowerDate.optional(),
  received_end: flowerDate.optional(),
  search: z.string().trim().min(1).max(200).optional(),
  sort_by: z.string().max(40).optional().meta({ description: 'Accepted for compatibility; tasks come newest first' }),
});

const WorkersQuerySchema = z.object({
  workername: z.string().min(1).max(300).optional(),
  status: flowerBool.optional(),
  refresh: flowerBool.optional(),
});

const TaskIdSchema = z.object({ id: z.string().min(1).max(200) });
const ResultQuerySchema = z.object({ timeout: z.coerce.number().min(0).max(60, 'must be at most 60 seconds').optional() });

const FlowerDictSchema = z.record(z.string(), z.unknown());

export const flowerReadPlugin: FastifyPluginCallback<FlowerReadOptions> = (app, options, done) => {
  app.addHook('onRequest', authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins }));
  const registrar = { app, openapi: new OpenApiRegistry(), prefix: FLOWER_READ_PREFIX };
  const prisma = app.database.prisma;
  const { engine } = options;

  defineRoute(registrar, {
    method: 'GET',
    url: '/workers',
    summary: 'Flower: workers by hostname (or their online status with status=true)',
    tag: 'flower',
    access: 'viewer',
    query: WorkersQuerySchema,
    response: FlowerDictSchema,
    async handler({ query }) {
      const workers = await prisma.worker.findMany({ where: query.workername ? { hostname: query.workername } : {}, orderBy: { hostname: 'asc' }, take: 1_000 });
      if (query.workername && workers.length === 0) throw new NotFoundError(`Unknown worker '${query.workername}'`);
      if (query.status) return Object.fromEntries(workers.map((w) => [w.hostname, w.online]));
      const running = await prisma.task.findMany({
        where: { state: 'STARTED', worker: { in: workers.map((w) => w.hostname) } },
        select: { id: true, name: true, args: true, worker: true, startedAt: true },
        take: 5_000,
      });
      return Object.fromEntries(
        workers.map((w) => [
          w.hostname,
          {
            stats: {
              pid: w.pid,
              clock: 0,
              uptime: Math.max(0, Math.round((w.lastHeartbeat.getTime() - w.firstSeen.getTime()) / 1_000)),
              pool: { 'max-concurrency': w.poolSize, implementation: w.poolKind, processes: w.pid === null ? [] : [w.pid] },
              total: { processed: Number(w.processed), succeeded: Number(w.succeeded), failed: Number(w.failed) },
              rusage: { maxrss: w.memoryRss === null ? null : Math.round(Number(w.memoryRss) / 1_024) },
              loadavg: w.loadavg,
              sw_ident: 'lovage',
              sw_ver: w.version,
            },
            active_queues: w.queues.map((name) => ({ name, routing_key: name, exclusive: false, durable: true })),
            active: running
              .filter((t) => t.worker === w.hostname)
              .map((t) => ({ id: t.id, name: t.name, args: JSON.stringify(t.args), kwargs: '{}', hostname: w.hostname, time_start: seconds(t.startedAt), acknowledged: true })),
            reserved: [],
            scheduled: [],
            revoked: [],
            registered: [],
            online: w.online,
            timestamp: seconds(w.lastHeartbeat),
          },
        ]),
      );
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks',
    summary: 'Flower: tasks by id, newest first',
    tag: 'flower',
    access: 'viewer',
    query: TasksQuerySchema,
    response: FlowerDictSchema,
    async handler({ query }) {
      const rows = await listTasks(prisma, {
        states: query.state ? [query.state] : undefined,
        name: query.taskname,
        worker: query.workername,
        queue: query.queue,
        q: query.search,
        since: query.received_start,
        until: query.received_end,
        offset: query.offset,
        limit: query.limit,
        full: true,
      });
      return Object.fromEntries(rows.slice(0, query.limit).map((row) => [row.id, flowerTask(row)]));
    },
  });

  async function taskRow(id: string): Promise<TaskListRow | null> {
    const task = await prisma.task.findUnique({ where: { id } });
    return task ? taskRowOf(task) : null;
  }

  defineRoute(registrar, {
    method: 'GET',
    url: '/task/info/:id',
    summary: 'Flower: one task',
    tag: 'flower',
    access: 'viewer',
    params: TaskIdSchema,
    response: FlowerDictSchema,
    async handler({ params }) {
      const row = await taskRow(params.id);
      if (!row) throw new NotFoundError(`Unknown task '${params.id}'`);
      const children = await prisma.task.findMany({ where: { parentId: row.id }, select: { id: true }, orderBy: { createdAt: 'asc' }, take: 1_000 });
      return flowerTask(row, children.map((c) => c.id));
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/task/result/:id',
    summary: 'Flower: a task\'s state and result (waits up to `timeout` seconds for it)',
    tag: 'flower',
    access: 'viewer',
    params: TaskIdSchema,
    query: ResultQuerySchema,
    response: FlowerDictSchema,
    async handler({ params, query }) {
      if (engine) {
        // The result backend holds the whole value; the database only a preview.
        const result = engine.asyncResult(params.id);
        if (query.timeout !== undefined && query.timeout > 0) {
          try {
            await result.get({ timeout: Math.round(query.timeout * 1_000) });
          } catch {
            // A failure, revocation or timeout: the record below says which.
          }
        }
        const record = await result.info();
        if (record) {
          const failed = record.state === 'FAILURE' || record.state === 'REVOKED';
          return {
            'task-id': params.id,
            state: record.state,
            result: failed ? (record.error ? `${record.error.name}(${JSON.stringify(record.error.message)})` : (record.reason ?? null)) : (record.result ?? null),
            ...(record.state === 'FAILURE' ? { traceback: record.error?.stack ?? null } : {}),
          };
        }
      }
      const row = await taskRow(params.id);
      if (!row) return { 'task-id': params.id, state: 'PENDING', result: null };
      return {
        'task-id': params.id,
        state: row.state,
        result: row.state === 'FAILURE' ? flowerTask(row).exception : parsePreview(row.result_preview),
        ...(row.state === 'FAILURE' ? { traceback: row.error_stack ?? null } : {}),
      };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/queues/length',
    summary: 'Flower: messages waiting in each queue',
    tag: 'flower',
    access: 'viewer',
    response: z.object({ active_queues: z.array(z.object({ name: z.string(), messages: z.number() })) }),
    async handler() {
      // Without an engine app the gateway sees no broker: no queues, as Flower shows with no broker connection.
      if (!engine) return { active_queues: [] };
      const queues = await engine.queues.list();
      return { active_queues: queues.sort((a, b) => a.name.localeCompare(b.name)).map((q) => ({ name: q.name, messages: q.ready + q.delayed })) };
    },
  });
  done();
};

/** The stored result preview as JSON when it parses (it is JSON cut at 256 characters), else as text. */
function parsePreview(preview: string | null): unknown {
  if (preview === null) return null;
  try {
    return JSON.parse(preview) as unknown;
  } catch {
    return preview;
  }
}
