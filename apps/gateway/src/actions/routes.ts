// The operator actions under /api/v1. Each checks the role, validates its input,
// acts through the engine app, and is audited with its target and outcome.
import type { Lovage } from '@lovage/engine';
import { actorName } from '../auth/principal.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { RouteRegistrar } from '../api/route.js';
import { defineRoute } from '../api/route.js';
import { ScheduleClusterQuerySchema, ScheduleParamsSchema, TaskIdParamsSchema, WorkerParamsSchema } from '../api/monitor-schemas.js';
import { scheduleOf, type ScheduleSources } from '../api/schedule-sources.js';
import type { BulkJobs } from './bulk-jobs.js';
import { defineAction } from './define-action.js';
import { toGatewayError } from './engine-errors.js';
import {
  ApplyTaskBodySchema,
  ApplyTaskResponseSchema,
  BulkJobListSchema,
  BulkJobResponseSchema,
  BulkTaskBodySchema,
  CreateScheduleBodySchema,
  DeadLetterBodySchema,
  DeadLetterResponseSchema,
  JobIdParamsSchema,
  PauseAllQueuesResponseSchema,
  PauseQueueResponseSchema,
  PurgeQueueQuerySchema,
  QueueConcurrencyBodySchema,
  QueueConcurrencyResponseSchema,
  PurgeQueueResponseSchema,
  QueueNameParamsSchema,
  RegisteredTaskListSchema,
  type RegisteredTask,
  RetryFailedMembersResponseSchema,
  RetryTaskBodySchema,
  RetryTaskResponseSchema,
  RevokeTaskBodySchema,
  RevokeTaskResponseSchema,
  ScheduleResponseSchema,
  ScheduleVersionBodySchema,
  ScheduleVersionQuerySchema,
  UpdateScheduleBodySchema,
  WorkerControlBodySchema,
  WorkerControlResponseSchema,
} from './schemas.js';
import { retryStoredTask, revokeStoredTask, type TaskActions } from './task-actions.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import type { WorkflowActions } from './workflow-actions.js';
import { controlWorker, NO_ENGINE } from './worker-control.js';

/** The actions a Celery cluster's rows take (revoke, worker control), with or without an engine app. */
export interface ControlServices {
  app: Lovage | null;
  tasks: TaskActions | null;
  /** The watched Celery clusters' pidbox actions; null when none is watched. */
  celery: CeleryActions | null;
}

export interface ActionServices extends ControlServices {
  app: Lovage;
  tasks: TaskActions;
  workflows: WorkflowActions;
  jobs: BulkJobs;
}

const param = (name: string) => (params: Record<string, string | undefined>) => params[name] ?? null;
const field = (name: string) => (_params: unknown, body: Record<string, unknown>) => (typeof body[name] === 'string' ? body[name] : null);

export function registerActionRoutes(registrar: RouteRegistrar, services: ActionServices): void {
  registerControlRoutes(registrar, services);
  registerTaskActions(registrar, services);
  registerQueueActions(registrar, services);
}

/**
 * Revoke, retry, apply, worker control and purge: a row with a `cluster` goes to that Celery
 * cluster's pidbox, any other to the engine app. A gateway that only watches
 * Celery clusters mounts these alone.
 */
export function registerControlRoutes(registrar: RouteRegistrar, services: ControlServices): void {
  registerTaskSendActions(registrar, services);
  registerWorkerActions(registrar, services);
  registerPurgeAction(registrar, services);
}

function registerPurgeAction(registrar: RouteRegistrar, { app, celery }: ControlServices): void {
  defineAction(registrar, {
    method: 'POST',
    url: '/queues/:name/purge',
    summary: "Delete every ready and delayed message of a queue (running ones finish); with ?cluster=, a watched Celery cluster's queue (all its priority lists)",
    tag: 'queues',
    access: 'admin',
    action: 'queue.purge',
    params: QueueNameParamsSchema,
    query: PurgeQueueQuerySchema,
    response: PurgeQueueResponseSchema,
    target: param('name'),
    async handler({ params, query }) {
      if (query.cluster !== undefined) {
        if (!celery) throw new ConflictError(`this gateway watches no Celery cluster (LOVAGE_CELERY_BROKER_URL)`, 'CLUSTER_NOT_WATCHED');
        const purged = await celery.purge(query.cluster, params.name);
        return { response: { queue: params.name, purged, cluster: query.cluster }, audit: { purged, cluster: query.cluster } };
      }
      if (!app) throw new ConflictError(`${NO_ENGINE}: give ?cluster= to purge one of theirs`, 'NO_ENGINE');
      await mustBeQueue(app, params.name);
      const purged = await app.queues.purge(params.name);
      return { response: { queue: params.name, purged }, audit: { purged } };
    },
  });

}


/** How long the registered-names route waits for workers to answer. */
const REGISTERED_TIMEOUT_MS = 1_000;

function registerTaskSendActions(registrar: RouteRegistrar, { app, tasks, celery }: ControlServices): void {
  const prisma = registrar.app.database.prisma;
  defineRoute(registrar, {
    method: 'GET',
    url: '/tasks/registered',
    summary: "The task names the live workers register (inspect registered), Lovage's and each watched Celery cluster's, for sending a task by name",
    tag: 'tasks',
    access: 'operator',
    response: RegisteredTaskListSchema,
    async handler({ request }) {
      const found: RegisteredTask[] = [];
      const unanswered: string[] = [];
      if (app) {
        const replies = await app.control.inspect({ timeout: REGISTERED_TIMEOUT_MS }).registered();
        const names = new Set(Object.values(replies).flatMap((listed) => (Array.isArray(listed) ? listed : [])));
        for (const name of names) found.push({ name, cluster: null });
      }
      for (const cluster of celery ? celery.clusterNames() : []) {
        try {
          for (const name of (await celery?.registered(cluster)) ?? []) found.push({ name, cluster });
        } catch (error) {
          request.log.warn({ err: error, cluster }, 'could not ask a Celery cluster for its registered task names');
          unanswered.push(cluster);
        }
      }
      found.sort((a, b) => a.name.localeCompare(b.name) || (a.cluster ?? '').localeCompare(b.cluster ?? ''));
      return { tasks: found, unanswered };
    },
  });

  defineAction(registrar, {
    method: 'POST',
    url: '/tasks/:id/retry',
    summary:
      "Send a failed, revoked or rejected task again as a new task (same name, args, queue, priority), once, linked both ways; a body's args or kwargs replay any finished task with those instead, as often as wanted, each replay listed on the original. A Celery cluster's task goes as a protocol v2 message when its result (result_extended) holds its args as JSON or the body gives args and kwargs, else 409 CELERY_TASK",
    tag: 'tasks',
    access: 'operator',
    action: 'task.retry',
    params: TaskIdParamsSchema,
    body: RetryTaskBodySchema,
    status: 201,
    response: RetryTaskResponseSchema,
    target: param('id'),
    async handler({ params, body }) {
      const { retriedIntoId } = tasks ? await tasks.retry(params.id, body) : await retryStoredTask(prisma, params.id, { lovage: null, celery }, body);
      return { response: { id: params.id, retriedIntoId }, audit: { retriedIntoId } };
    },
  });

  defineAction(registrar, {
    method: 'POST',
    url: '/tasks',
    summary: 'Send a task by name with JSON args and kwargs; with `cluster`, a protocol v2 message onto that watched Celery cluster',
    tag: 'tasks',
    access: 'operator',
    action: 'task.apply',
    body: ApplyTaskBodySchema,
    status: 201,
    response: ApplyTaskResponseSchema,
    target: field('task'),
    async handler({ body }) {
      if (body.cluster !== undefined) {
        if (!celery) throw new ConflictError(`this gateway watches no Celery cluster (LOVAGE_CELERY_BROKER_URL)`, 'CLUSTER_NOT_WATCHED');
        const sent = await celery.apply(body.cluster, body.task, body.args, body.kwargs ?? {}, body.options);
        return { response: { id: sent.id, task: body.task, queue: sent.queue, state: 'PENDING' as const }, audit: { taskId: sent.id, cluster: body.cluster } };
      }
      if (!tasks) throw new ConflictError(`${NO_ENGINE}: give \`cluster\` to send to one`, 'NO_ENGINE');
      if (!(await tasks.isKnownTask(body.task))) {
        throw new NotFoundError(`no task named ${JSON.stringify(body.task)} is known: no worker registers it and it never ran`);
      }
      const { options } = body;
      const sent = await tasks.send(body.task, body.args, {
        queue: options.queue,
        priority: options.priority,
        countdown: options.countdown,
        eta: options.eta === undefined ? undefined : new Date(options.eta),
        expires: options.expires,
        taskId: options.taskId,
        kwargs: body.kwargs,
      });
      return { response: { id: sent.id, task: body.task, queue: sent.queue, state: 'PENDING' as const }, audit: { taskId: sent.id } };
    },
  });

  defineAction(registrar, {
    method: 'POST',
    url: '/tasks/:id/revoke',
    summary: "Revoke a task (with terminate: also stop it if it is running); a Celery cluster's task is revoked over its pidbox",
    tag: 'tasks',
    access: 'operator',
    action: 'task.revoke',
    params: TaskIdParamsSchema,
    body: RevokeTaskBodySchema,
    response: RevokeTaskResponseSchema,
    target: param('id'),
    async handler({ params, body }) {
      const { previousState } = tasks ? await tasks.revoke(params.id, body.terminate) : await revokeStoredTask(prisma, params.id, body.terminate, { app: null, celery });
      return { response: { id: params.id, terminate: body.terminate, previousState } };
    },
  });
}

function registerTaskActions(registrar: RouteRegistrar, { workflows, jobs }: ActionServices): void {
  defineAction(registrar, {
    method: 'POST',
    url: '/tasks/:id/workflow/retry-failed',
    summary:
      "Send every failed or revoked member of the task's workflow again (the engine re-publishes each with its place in the canvas), each re-run linked to the member it replaces; 409 when none is left to retry",
    tag: 'tasks',
    access: 'operator',
    action: 'workflow.retryFailed',
    params: TaskIdParamsSchema,
    response: RetryFailedMembersResponseSchema,
    target: param('id'),
    async handler({ params }) {
      const { retried } = await workflows.retryFailed(params.id);
      return { response: { id: params.id, retried }, audit: { retried: retried.length, pairs: retried } };
    },
  });

  defineAction(registrar, {
    method: 'POST',
    url: '/tasks/bulk',
    summary: 'Retry or revoke many tasks (by ids or by a filter) as a background job; answers with the job to follow',
    tag: 'jobs',
    access: 'operator',
    action: 'tasks.bulk',
    body: BulkTaskBodySchema,
    status: 202,
    response: BulkJobResponseSchema,
    target: () => null,
    async handler({ body, principal, request }) {
      const job = await jobs.start({ action: body.action, ids: body.ids, filter: body.filter, terminate: body.terminate }, principal, request.ip);
      return { response: { job }, audit: { jobId: job.id, ids: body.ids?.length } };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/jobs',
    summary: 'Recent bulk jobs, newest first',
    tag: 'jobs',
    access: 'viewer',
    response: BulkJobListSchema,
    async handler() {
      return { jobs: await jobs.list() };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/jobs/:id',
    summary: "A bulk job's progress",
    tag: 'jobs',
    access: 'viewer',
    params: JobIdParamsSchema,
    response: BulkJobResponseSchema,
    async handler({ params }) {
      const job = await jobs.get(params.id);
      if (!job) throw new NotFoundError(`no job with id ${params.id}`);
      return { job };
    },
  });
}

async function mustBeQueue(app: Lovage, name: string): Promise<void> {
  const known = await app.broker().listQueues();
  if (!known.includes(name)) throw new NotFoundError(`no queue named ${JSON.stringify(name)} (known: ${known.slice(0, 20).join(', ') || 'none'})`);
}

function registerQueueActions(registrar: RouteRegistrar, { app }: ActionServices): void {
  defineAction(registrar, {
    method: 'PUT',
    url: '/queues/:name/concurrency',
    summary:
      "Set a queue's global concurrency limit: at most `limit` of its tasks run at once across every worker (null: no limit). Enforced by the broker at reserve, it takes effect at once",
    tag: 'queues',
    access: 'operator',
    action: 'queue.concurrency',
    params: QueueNameParamsSchema,
    body: QueueConcurrencyBodySchema,
    response: QueueConcurrencyResponseSchema,
    target: param('name'),
    async handler({ params, body }) {
      await mustBeQueue(app, params.name);
      const before = (await app.queues.stats(params.name)).concurrency;
      await app.queues.setConcurrency(params.name, body.limit);
      return { response: { queue: params.name, concurrency: body.limit }, audit: { before } };
    },
  });
  for (const verb of ['pause', 'resume'] as const) {
    const paused = verb === 'pause';
    defineAction(registrar, {
      method: 'POST',
      url: `/queues/:name/${verb}`,
      summary: paused
        ? 'Pause a queue: it still takes tasks, workers start none of them until resumed (running ones finish); the flag lives in the broker'
        : 'Resume a paused queue: workers take its tasks again',
      tag: 'queues',
      access: 'operator',
      action: `queue.${verb}`,
      params: QueueNameParamsSchema,
      response: PauseQueueResponseSchema,
      target: param('name'),
      async handler({ params }) {
        await mustBeQueue(app, params.name);
        await (paused ? app.queues.pause(params.name) : app.queues.resume(params.name));
        return { response: { queue: params.name, paused }, audit: { paused } };
      },
    });
    defineAction(registrar, {
      method: 'POST',
      url: `/queues/${verb}-all`,
      summary: paused ? 'Pause every queue the broker knows' : 'Resume every queue the broker knows',
      tag: 'queues',
      access: 'operator',
      action: `queue.${verb}All`,
      response: PauseAllQueuesResponseSchema,
      target: () => '*',
      async handler() {
        const queues = await (paused ? app.queues.pauseAll() : app.queues.resumeAll());
        return { response: { queues, paused }, audit: { queues: queues.length, paused } };
      },
    });
  }
  for (const [verb, action] of [
    ['requeue', 'deadLetters.requeue'],
    ['drop', 'deadLetters.drop'],
  ] as const) {
    defineAction(registrar, {
      method: 'POST',
      url: `/dead-letters/${verb}`,
      summary: verb === 'requeue' ? 'Put dead letters back in their queue (given ids, or all)' : 'Delete dead letters (given ids, or all)',
      tag: 'queues',
      access: 'operator',
      action,
      body: DeadLetterBodySchema,
      response: DeadLetterResponseSchema,
      target: field('queue'),
      async handler({ body }) {
        await mustBeQueue(app, body.queue);
        const count = verb === 'requeue' ? await app.queues.requeueDead(body.queue, body.ids) : await app.queues.dropDead(body.queue, body.ids);
        const missing = body.ids ? body.ids.length - count : 0;
        if (body.ids && count === 0) {
          throw new NotFoundError(`none of the ${body.ids.length} given ids is a dead letter of queue ${JSON.stringify(body.queue)} (any more)`);
        }
        return { response: { queue: body.queue, count, missing }, audit: { count, missing } };
      },
    });
  }
}

function registerWorkerActions(registrar: RouteRegistrar, services: ControlServices): void {
  defineAction(registrar, {
    method: 'POST',
    url: '/workers/:hostname/control',
    summary:
      "Send a control command to one worker (pool_grow, pool_shrink, autoscale, add_consumer, cancel_consumer, rate_limit, time_limit; shutdown needs admin); a Celery cluster's worker gets it over its pidbox",
    tag: 'workers',
    access: 'operator',
    action: 'worker.control',
    params: WorkerParamsSchema,
    body: WorkerControlBodySchema,
    response: WorkerControlResponseSchema,
    target: param('hostname'),
    async handler({ params, body, principal }) {
      const { reply, cluster } = await controlWorker(services, registrar.app.database.prisma, params.hostname, body, principal.role);
      return { response: { hostname: params.hostname, command: body.command, reply }, audit: cluster === null ? { reply } : { reply, cluster } };
    },
  });
}

/**
 * Create, edit, delete, pause, resume and run schedules, in the gateway's own app's store or,
 * with `?cluster=`, in a watched Celery cluster's beat's (see ScheduleSources). Registered for a
 * gateway that only watches Celery clusters too.
 */
export function registerScheduleActions(registrar: RouteRegistrar, sources: ScheduleSources): void {
  const engine = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toGatewayError(error, { scheduleName: name });
    }
  };
  const clusterAudit = (cluster: string | undefined) => (cluster === undefined ? {} : { cluster });

  defineAction(registrar, {
    method: 'POST',
    url: '/schedules',
    summary: "Create a schedule (409 when the name is taken); ?cluster= creates it in that Celery cluster's beat",
    tag: 'schedules',
    access: 'operator',
    action: 'schedule.create',
    query: ScheduleClusterQuerySchema,
    body: CreateScheduleBodySchema,
    status: 201,
    response: ScheduleResponseSchema,
    target: field('name'),
    async handler({ query, body, principal }) {
      const { name, ...definition } = body;
      const schedules = sources.of(query.cluster);
      const entry = await engine(name, () => schedules.upsert(name, definition, { actor: actorName(principal), expectedVersion: 0, source: 'api' }));
      sources.edited(name);
      return { response: { schedule: scheduleOf(entry, query.cluster ?? null) }, audit: { name, version: entry.version, ...clusterAudit(query.cluster) } };
    },
  });

  defineAction(registrar, {
    method: 'PUT',
    url: '/schedules/:id',
    summary: "Replace a schedule's definition; `version` must be the one the edit started from (409 otherwise)",
    tag: 'schedules',
    access: 'operator',
    action: 'schedule.update',
    params: ScheduleParamsSchema,
    query: ScheduleClusterQuerySchema,
    body: UpdateScheduleBodySchema,
    response: ScheduleResponseSchema,
    target: param('id'),
    async handler({ params, query, body, principal }) {
      const { version, ...definition } = body;
      const schedules = sources.of(query.cluster);
      const entry = await engine(params.id, async () => {
        if (!(await schedules.get(params.id))) throw new NotFoundError(`no schedule named ${JSON.stringify(params.id)}`);
        return schedules.upsert(params.id, definition, { actor: actorName(principal), expectedVersion: version });
      });
      sources.edited(params.id);
      return { response: { schedule: scheduleOf(entry, query.cluster ?? null) }, audit: { version: entry.version, ...clusterAudit(query.cluster) } };
    },
  });

  defineAction(registrar, {
    method: 'DELETE',
    url: '/schedules/:id',
    summary: 'Delete a schedule (give ?version= to refuse deleting one changed since)',
    tag: 'schedules',
    access: 'operator',
    action: 'schedule.delete',
    params: ScheduleParamsSchema,
    query: ScheduleVersionQuerySchema,
    status: 204,
    target: param('id'),
    async handler({ params, query, principal }) {
      const schedules = sources.of(query.cluster);
      const removed = await engine(params.id, () =>
        schedules.remove(params.id, { actor: actorName(principal), ...(query.version === undefined ? {} : { expectedVersion: query.version }) }),
      );
      if (!removed) throw new NotFoundError(`no schedule named ${JSON.stringify(params.id)}`);
      sources.edited(params.id);
      return { response: undefined, ...(query.cluster === undefined ? {} : { audit: clusterAudit(query.cluster) }) };
    },
  });

  for (const verb of ['enable', 'disable'] as const) {
    defineAction(registrar, {
      method: 'POST',
      url: `/schedules/:id/${verb}`,
      summary: verb === 'enable' ? 'Resume a schedule' : 'Pause a schedule',
      tag: 'schedules',
      access: 'operator',
      action: `schedule.${verb}`,
      params: ScheduleParamsSchema,
      query: ScheduleClusterQuerySchema,
      body: ScheduleVersionBodySchema,
      response: ScheduleResponseSchema,
      target: param('id'),
      async handler({ params, query, body, principal }) {
        const schedules = sources.of(query.cluster);
        const options = { actor: actorName(principal), ...(body.version === undefined ? {} : { expectedVersion: body.version }) };
        const entry = await engine(params.id, () => (verb === 'enable' ? schedules.enable(params.id, options) : schedules.disable(params.id, options)));
        sources.edited(params.id);
        return { response: { schedule: scheduleOf(entry, query.cluster ?? null) }, audit: { version: entry.version, ...clusterAudit(query.cluster) } };
      },
    });
  }

  defineAction(registrar, {
    method: 'POST',
    url: '/schedules/:id/run',
    summary: "Run a schedule's task now, once (the beat leader sends it within a second)",
    tag: 'schedules',
    access: 'operator',
    action: 'schedule.run',
    params: ScheduleParamsSchema,
    query: ScheduleClusterQuerySchema,
    status: 202,
    response: ScheduleResponseSchema,
    target: param('id'),
    async handler({ params, query, principal }) {
      const schedules = sources.of(query.cluster);
      const entry = await engine(params.id, () => schedules.runNow(params.id, { actor: actorName(principal) }));
      sources.edited(params.id);
      return { response: { schedule: scheduleOf(entry, query.cluster ?? null) }, ...(query.cluster === undefined ? {} : { audit: clusterAudit(query.cluster) }) };
    },
  });
}
