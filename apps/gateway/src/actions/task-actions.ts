// What an operator can do to one task: revoke it, retry it, or send a new one by
// name. Used by the REST routes, the bulk jobs and the Flower-compatible routes.
import { randomUUID } from 'node:crypto';
import { READY_STATES, Task, TASK_STATES, toMs, type Lovage, type TaskState } from '@lovage/engine';
import type { PrismaClient } from '../generated/prisma/client.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { CeleryActions } from '../celery/celery-actions.js';

export type TaskStateName = TaskState;

/** States after which a task will not run again by itself: the engine's ready states, and REJECTED (dead-lettered). */
export const FINISHED_STATES: readonly TaskStateName[] = TASK_STATES.filter((s) => READY_STATES.has(s) || s === 'REJECTED');
/** States a retry starts from: the task ran and failed, was stopped, or was dead-lettered. */
export const RETRIABLE_STATES: readonly TaskStateName[] = ['FAILURE', 'REVOKED', 'REJECTED'];

export interface SendOptions {
  queue?: string | undefined;
  priority?: number | undefined;
  /** ms or a duration string. */
  countdown?: number | string | undefined;
  eta?: Date | undefined;
  /** A duration from the ETA (or now), or an instant. */
  expires?: number | string | Date | undefined;
  taskId?: string | undefined;
  /** Keyword arguments: the handler gets them as one trailing object (Celery's kwargs). */
  kwargs?: Record<string, unknown> | undefined;
  headers?: Record<string, unknown> | undefined;
}

/** How long the apply route waits for workers to say which task names they know. */
const REGISTERED_TIMEOUT_MS = 1_000;

/**
 * Revokes a task the monitor knows and that has not finished: a Celery
 * cluster's task over that cluster's pidbox, any other through the engine app.
 */
export async function revokeStoredTask(
  prisma: PrismaClient,
  id: string,
  terminate: boolean,
  via: { app: Lovage | null; celery: CeleryActions | null },
): Promise<{ previousState: TaskStateName }> {
  const row = await prisma.task.findUnique({ where: { id }, select: { state: true, cluster: true } });
  if (!row) throw new NotFoundError(`no task with id ${JSON.stringify(id)}`);
  if (FINISHED_STATES.includes(row.state)) {
    throw new ConflictError(`task ${id} already finished (${row.state}): there is nothing to revoke`, 'TASK_FINISHED');
  }
  if (row.cluster !== null && via.celery) await via.celery.revoke(row.cluster, id, terminate);
  else if (via.app) await via.app.control.revoke(id, { terminate });
  else throw new ConflictError(`task ${id} is not a watched Celery cluster's, and this gateway has no Lovage app of its own to revoke it with`, 'NO_ENGINE');
  return { previousState: row.state };
}

/** What a retry reads of the original task. */
interface RetryRow {
  name: string;
  state: TaskStateName;
  args: unknown;
  kwargs: unknown;
  queue: string;
  priority: number | null;
  retriedIntoId: string | null;
  cluster: string | null;
}

/** Arguments a replay gives instead of the original's (see RetryTaskBodySchema). */
export interface ReplayArguments {
  args?: unknown[] | undefined;
  kwargs?: Record<string, unknown> | undefined;
}

const kwargsOf = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Sends a finished task again as a new task with the same name, queue and
 * priority: a Lovage task through the engine app (`lovage`), a Celery
 * cluster's task as a protocol v2 message (`celery`). The new row's
 * retried_from_id points back at the original.
 *
 * A **retry** (no replay arguments) re-runs a failed, revoked or rejected task
 * with its own args, once: the original's retried_into_id is claimed with a
 * conditional update (set only while still empty), so two operators retrying
 * the same task at once produce one new task, not two.
 *
 * A **replay** (args or kwargs given) starts from any finished task, as often
 * as the operator likes. The first re-run of a task a retry could start from
 * also claims retried_into_id, so the original counts as handled in its
 * workflow; every replay shows in the original's `replays`.
 */
export async function retryStoredTask(
  prisma: PrismaClient,
  id: string,
  via: {
    lovage: ((row: RetryRow, args: unknown[], kwargs: Record<string, unknown> | undefined, newId: string) => Promise<void>) | null;
    celery: CeleryActions | null;
  },
  replay: ReplayArguments = {},
): Promise<{ retriedIntoId: string }> {
  const row = await prisma.task.findUnique({
    where: { id },
    select: { name: true, state: true, args: true, kwargs: true, queue: true, priority: true, retriedIntoId: true, cluster: true },
  });
  if (!row) throw new NotFoundError(`no task with id ${JSON.stringify(id)}`);
  const isReplay = replay.args !== undefined || replay.kwargs !== undefined;
  if (isReplay) {
    if (!FINISHED_STATES.includes(row.state)) {
      throw new ConflictError(`a task can be run again once it has finished; task ${id} is ${row.state}`, 'TASK_NOT_FINISHED');
    }
  } else {
    if (row.retriedIntoId) throw new ConflictError(`task ${id} was already retried as ${row.retriedIntoId}`, 'ALREADY_RETRIED');
    if (!RETRIABLE_STATES.includes(row.state)) {
      throw new ConflictError(`only a failed, revoked or rejected task can be retried; task ${id} is ${row.state} (give args to replay it)`, 'TASK_NOT_RETRIABLE');
    }
  }
  let send: (newId: string) => Promise<void>;
  if (row.cluster !== null) {
    if (!via.celery) throw new ConflictError(`task ${id} ran on the Celery cluster ${row.cluster}, which this gateway does not watch; retry it from Python`, 'CELERY_TASK');
    send = await via.celery.retrySender(row.cluster, id, row, replay);
  } else {
    // The monitor keeps the args preview the events carry (cut at 256 characters);
    // a cut preview is stored as a JSON string, and a retry must not run with it.
    const args = replay.args ?? row.args;
    if (!Array.isArray(args)) {
      throw new ConflictError(`the arguments of task ${id} were too long to keep in the monitor, so it cannot be retried from here`, 'ARGS_UNAVAILABLE');
    }
    const lovage = via.lovage;
    if (!lovage) throw new ConflictError(`task ${id} is a Lovage task, and this gateway has no Lovage app of its own to send it with`, 'NO_ENGINE');
    const kwargs = replay.kwargs ?? kwargsOf(row.kwargs);
    send = (newId) => lovage(row, args, kwargs, newId);
  }
  const newId = randomUUID();
  const claimed = await prisma.task.updateMany({
    where: { id, retriedIntoId: null, state: { in: [...RETRIABLE_STATES] } },
    data: { retriedIntoId: newId },
  });
  if (claimed.count === 0 && !isReplay) throw new ConflictError(`task ${id} changed while it was being retried; reload it`, 'TASK_CHANGED');
  try {
    await send(newId);
  } catch (error) {
    if (claimed.count > 0) await prisma.task.updateMany({ where: { id, retriedIntoId: newId }, data: { retriedIntoId: null } });
    throw error;
  }
  // The ingest never writes retried_from_id, so this link survives its upserts of the new task.
  await prisma.task.upsert({
    where: { id: newId },
    create: {
      id: newId,
      name: row.name,
      args: (replay.args ?? row.args) as never,
      kwargs: (replay.kwargs ?? row.kwargs ?? undefined) as never,
      queue: row.queue,
      priority: row.priority,
      retriedFromId: id,
      cluster: row.cluster,
    },
    update: { retriedFromId: id },
  });
  return { retriedIntoId: newId };
}

export class TaskActions {
  constructor(
    private readonly app: Lovage,
    private readonly prisma: PrismaClient,
    private readonly celery: CeleryActions | null = null,
  ) {}

  /** Revokes a task the monitor knows and that has not finished. */
  revoke(id: string, terminate: boolean): Promise<{ previousState: TaskStateName }> {
    return revokeStoredTask(this.prisma, id, terminate, { app: this.app, celery: this.celery });
  }

  /** Revokes by id without looking the task up (Flower's semantics: it may not be ingested yet). */
  async revokeAny(id: string, terminate: boolean): Promise<void> {
    // A Celery cluster's task (when the monitor has seen it) is revoked over that cluster's pidbox.
    const row = this.celery ? await this.prisma.task.findUnique({ where: { id }, select: { cluster: true } }) : null;
    if (row?.cluster != null && this.celery) await this.celery.revoke(row.cluster, id, terminate);
    else await this.app.control.revoke(id, { terminate });
  }

  /** Retries a failed, revoked or rejected task, or replays any finished one with new args or kwargs (see retryStoredTask). */
  retry(id: string, replay: ReplayArguments = {}): Promise<{ retriedIntoId: string }> {
    return retryStoredTask(this.prisma, id, {
      celery: this.celery,
      lovage: async (row, args, kwargs, newId) => {
        await this.send(row.name, args, { queue: row.queue, priority: row.priority ?? undefined, taskId: newId, kwargs, headers: { retriedFrom: id } });
      },
    }, replay);
  }

  /** Is this a task name something knows: this process, the monitor's history, or a live worker. */
  async isKnownTask(name: string): Promise<boolean> {
    if (this.app.tasks.has(name)) return true;
    if (await this.prisma.task.findFirst({ where: { name }, select: { id: true } })) return true;
    const registered = await this.app.control.inspect({ timeout: REGISTERED_TIMEOUT_MS }).registered();
    return Object.values(registered).some((names) => Array.isArray(names) && names.includes(name));
  }

  /**
   * Sends a task by name. The gateway does not import task code, so an
   * unregistered name is sent as beat sends it (Celery's send_task).
   */
  async send(name: string, args: unknown[], options: SendOptions = {}): Promise<{ id: string; queue: string }> {
    const task = this.app.tasks.get(name) ?? new Task<never[], unknown>(name, () => undefined, {}, this.app);
    // An ISO date-time is an instant; any other string is a duration ('10m').
    const expires = typeof options.expires === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(options.expires) ? new Date(options.expires) : options.expires;
    let countdown: number | undefined;
    if (options.countdown !== undefined) countdown = toMs(options.countdown, 'countdown');
    const message = task.message(args as never[], {
      queue: options.queue,
      priority: options.priority,
      ...(options.eta ? { eta: options.eta } : {}),
      ...(countdown !== undefined ? { countdown } : {}),
      ...(expires !== undefined ? { expires: expires as never } : {}),
      ...(options.taskId ? { taskId: options.taskId } : {}),
      ...(options.kwargs ? { kwargs: options.kwargs } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    if (message.eta !== undefined && message.expires !== undefined && message.expires <= message.eta) {
      throw new ValidationError('expires: must be after the time the task is due', 'expires', [{ path: 'body.options.expires', message: 'must be after the time the task is due' }]);
    }
    await this.app.publish(message);
    return { id: message.id, queue: message.queue };
  }
}
