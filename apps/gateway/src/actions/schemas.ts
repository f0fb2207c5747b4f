// Request and response shapes of the operator actions (revoke, retry, apply,
// bulk jobs, queues, dead letters, worker control, schedules). Re-exported by
// api/schemas.ts, so the dashboard reads them from `@lovage/gateway/api-types`:
// this module imports zod and nothing else.
import { z } from 'zod';
import { ScheduleClusterQuerySchema, ScheduleParamsSchema, ScheduleSchema, TaskIdParamsSchema, TaskStateSchema, taskStates } from '../api/monitor-schemas.js';

const duration = z.union([
  z.number().int('must be whole milliseconds').min(0, 'must not be negative'),
  z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/, "must be a duration such as '500ms', '30s', '5m', '1h' or milliseconds"),
]);
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
const timestamp = z.iso.datetime({ offset: true });

const taskName = z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters');
const queueName = z.string().min(1, 'is required').max(200, 'must be at most 200 characters');

// ---------- single-task actions ----------

export const RevokeTaskBodySchema = z
  .object({
    /** Also stop it if it is running (its signal aborts; it is cut loose after a grace period). */
    terminate: z.boolean().default(false),
  })
  .default({ terminate: false });
export type RevokeTaskBody = z.input<typeof RevokeTaskBodySchema>;

export const RevokeTaskResponseSchema = z.object({
  id: z.string(),
  terminate: z.boolean(),
  /** The state the monitor knew when the revoke was sent. */
  previousState: TaskStateSchema,
});
export type RevokeTaskResponse = z.infer<typeof RevokeTaskResponseSchema>;

/** The most a replay's edited args or kwargs may weigh, as JSON text. */
export const REPLAY_MAX_JSON_CHARS = 64_000;
const boundedJson = <T extends z.ZodType>(schema: T) =>
  schema.refine((value) => JSON.stringify(value).length <= REPLAY_MAX_JSON_CHARS, {
    message: `must be at most ${REPLAY_MAX_JSON_CHARS.toLocaleString('en')} characters as JSON`,
  });

/**
 * A retry sends the original's arguments again (a failed, revoked or rejected
 * task, once); a replay gives its own, from any finished task, as often as
 * wanted. Either left out keeps the original's (a Celery task's from its
 * extended result).
 */
export const RetryTaskBodySchema = z
  .object({
    args: boundedJson(z.array(z.unknown(), { error: 'must be a JSON array' })).optional(),
    /** Keyword arguments (Celery's kwargs; a Lovage handler gets them as one trailing object). */
    kwargs: boundedJson(z.record(z.string(), z.unknown(), { error: 'must be a JSON object' })).optional(),
  })
  .strict()
  .default({});
export type RetryTaskBody = z.input<typeof RetryTaskBodySchema>;

export const RetryTaskResponseSchema = z.object({
  /** The original task (its retriedIntoId points at the new one after a retry, or after the first re-run of a failed one). */
  id: z.string(),
  /** The new task: same name, queue and priority, the original's args unless the body gave others; its retriedFromId points back. */
  retriedIntoId: z.string(),
});
export type RetryTaskResponse = z.infer<typeof RetryTaskResponseSchema>;

export const RetryFailedMembersResponseSchema = z.object({
  /** The task asked about (any member of the workflow). */
  id: z.string(),
  /** Each failed or revoked member sent again: `from` the member, `to` its re-run (linked both ways, as a task retry). */
  retried: z.array(z.object({ from: z.string(), to: z.string() })),
});
export type RetryFailedMembersResponse = z.infer<typeof RetryFailedMembersResponseSchema>;

export const ApplyOptionsSchema = z
  .object({
    queue: queueName.optional(),
    priority: z.number().int('must be an integer').min(0, 'must be 0-9').max(9, 'must be 0-9').optional(),
    /** Run after this delay (ms or '30s'). */
    countdown: duration.optional(),
    /** Run at this time. */
    eta: isoDateTime.optional(),
    /** Do not start after this duration (from the ETA) or this instant. */
    expires: z.union([duration, isoDateTime]).optional(),
    /** Choose the task id (sending the same id again while it is queued is a no-op). */
    taskId: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((options) => options.countdown === undefined || options.eta === undefined, { message: 'give countdown or eta, not both', path: ['eta'] });
export type ApplyOptions = z.input<typeof ApplyOptionsSchema>;

export const ApplyTaskBodySchema = z.object({
  task: taskName,
  args: z.array(z.unknown()).max(10_000, 'must have at most 10,000 items').default([]),
  /** Keyword arguments (Celery's kwargs; a Lovage handler gets them as one trailing object). */
  kwargs: z.record(z.string(), z.unknown()).optional(),
  /** Send it to this watched Celery cluster (LOVAGE_CELERY_BROKER_URL's name) as a protocol v2 message, instead of Lovage's own broker. */
  cluster: z.string().min(1).max(100).optional(),
  options: ApplyOptionsSchema.default({}),
});
export type ApplyTaskBody = z.input<typeof ApplyTaskBodySchema>;

/** A task name a live worker registers: Lovage's own (cluster null) or a watched Celery cluster's. */
export const RegisteredTaskSchema = z.object({ name: z.string(), cluster: z.string().nullable() }).meta({ id: 'RegisteredTask' });
export type RegisteredTask = z.infer<typeof RegisteredTaskSchema>;
export const RegisteredTaskListSchema = z.object({
  tasks: z.array(RegisteredTaskSchema),
  /** Celery clusters whose workers could not be asked (their names are missing above). */
  unanswered: z.array(z.string()),
});
export type RegisteredTaskList = z.infer<typeof RegisteredTaskListSchema>;

export const ApplyTaskResponseSchema = z.object({
  id: z.string(),
  task: z.string(),
  queue: z.string(),
  state: z.literal('PENDING'),
});
export type ApplyTaskResponse = z.infer<typeof ApplyTaskResponseSchema>;

// ---------- bulk jobs ----------

export const TaskFilterSchema = z
  .object({
    state: z.union([TaskStateSchema, z.array(TaskStateSchema).min(1).max(taskStates.length)]).optional(),
    name: taskName.optional(),
    worker: z.string().min(1).max(300).optional(),
    queue: queueName.optional(),
    since: isoDateTime.optional(),
    until: isoDateTime.optional(),
  })
  .strict()
  .meta({ id: 'BulkTaskFilter', description: 'Tasks created in [since, until) matching every given field' });
export type TaskFilter = z.input<typeof TaskFilterSchema>;

export const BULK_MAX_TASKS = 100_000;

export const BulkTaskBodySchema = z
  .object({
    action: z.enum(['retry', 'revoke']),
    ids: z.array(TaskIdParamsSchema.shape.id).min(1, 'must not be empty').max(BULK_MAX_TASKS, `must have at most ${BULK_MAX_TASKS} ids`).optional(),
    filter: TaskFilterSchema.optional(),
    /** revoke only. */
    terminate: z.boolean().default(false),
  })
  .refine((body) => (body.ids === undefined) !== (body.filter === undefined), { message: 'give ids or filter (one of them)', path: ['ids'] });
export type BulkTaskBody = z.input<typeof BulkTaskBodySchema>;

export const jobStates = ['running', 'succeeded', 'failed'] as const;

export const BulkJobSchema = z
  .object({
    id: z.string(),
    /** 'tasks.retry' or 'tasks.revoke'. */
    kind: z.string(),
    state: z.enum(jobStates),
    createdBy: z.string(),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
    /** Targets found (ids given, or tasks the filter matched, capped at BULK_MAX_TASKS). */
    total: z.number().int(),
    /** Targets handled so far (succeeded + failed + skipped). */
    done: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    /** Targets that no longer qualify (already finished, already retried, gone). */
    skipped: z.number().int(),
    /** The first errors, per target. */
    errors: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
    /** Why the whole job stopped, when state is failed. */
    error: z.string().nullable(),
  })
  .meta({ id: 'BulkJob' });
export type BulkJob = z.infer<typeof BulkJobSchema>;

export const BulkJobResponseSchema = z.object({ job: BulkJobSchema });
export type BulkJobResponse = z.infer<typeof BulkJobResponseSchema>;
export const BulkJobListSchema = z.object({ jobs: z.array(BulkJobSchema) });
export type BulkJobList = z.infer<typeof BulkJobListSchema>;
export const JobIdParamsSchema = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

// ---------- queues and dead letters ----------

export const QueueNameParamsSchema = z.object({ name: queueName });

export const PauseQueueResponseSchema = z.object({ queue: z.string(), paused: z.boolean() });
export type PauseQueueResponse = z.infer<typeof PauseQueueResponseSchema>;
export const QueueConcurrencyBodySchema = z.object({
  /** At most this many of the queue's tasks running at once across every worker; null removes the limit (0 is refused: pause the queue instead). */
  limit: z
    .number({ message: 'must be a whole number of at least 1, or null for no limit' })
    .int('must be a whole number')
    .min(1, 'must be at least 1 (to stop the queue, pause it)')
    .max(1_000_000, 'must be at most 1,000,000')
    .nullable(),
});
export type QueueConcurrencyBody = z.input<typeof QueueConcurrencyBodySchema>;
export const QueueConcurrencyResponseSchema = z.object({ queue: z.string(), concurrency: z.number().int().nullable() });
export type QueueConcurrencyResponse = z.infer<typeof QueueConcurrencyResponseSchema>;
export const PauseAllQueuesResponseSchema = z.object({ queues: z.array(z.string()), paused: z.boolean() });
export type PauseAllQueuesResponse = z.infer<typeof PauseAllQueuesResponseSchema>;

export const PurgeQueueQuerySchema = z.object({
  /** Purge this watched Celery cluster's queue (LOVAGE_CELERY_BROKER_URL's name) instead of Lovage's own. */
  cluster: z.string().min(1).max(100).optional(),
});
export const PurgeQueueResponseSchema = z.object({ queue: z.string(), purged: z.number().int(), cluster: z.string().nullable().optional() });
export type PurgeQueueResponse = z.infer<typeof PurgeQueueResponseSchema>;

export const DeadLetterBodySchema = z
  .object({
    queue: queueName,
    ids: z.array(z.string().min(1).max(200)).min(1, 'must not be empty').max(10_000, 'must have at most 10,000 ids').optional(),
    /** Every dead letter of the queue: must be given explicitly instead of ids. */
    all: z.literal(true).optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.all === undefined), { message: 'give ids or all: true (one of them)', path: ['ids'] });
export type DeadLetterBody = z.input<typeof DeadLetterBodySchema>;

export const DeadLetterResponseSchema = z.object({
  queue: z.string(),
  /** Moved back to the queue (requeue) or deleted (drop). */
  count: z.number().int(),
  /** Of the given ids, how many were not (or no longer) dead letters. */
  missing: z.number().int(),
});
export type DeadLetterResponse = z.infer<typeof DeadLetterResponseSchema>;

// ---------- worker control ----------

const poolSize = z.object({ n: z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000, 'must be at most 1000').default(1) }).strict();
const queueArgument = z.object({ queue: queueName }).strict();
const rate = z
  .string()
  .regex(/^\d+(\.\d+)?\/(s|m|h)$/, "must be a rate such as '10/s', '100/m' or '1000/h'")
  .nullable()
  .meta({ description: 'null removes the override' });

export const WorkerControlBodySchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('pool_grow'), arguments: poolSize.default({ n: 1 }) }),
  z.object({ command: z.literal('pool_shrink'), arguments: poolSize.default({ n: 1 }) }),
  z.object({ command: z.literal('add_consumer'), arguments: queueArgument }),
  z.object({ command: z.literal('cancel_consumer'), arguments: queueArgument }),
  z.object({ command: z.literal('rate_limit'), arguments: z.object({ task: taskName, rate }).strict() }),
  z.object({
    command: z.literal('time_limit'),
    arguments: z
      .object({ task: taskName, soft: duration.nullable().optional(), hard: duration.nullable().optional() })
      .strict()
      .refine((value) => value.soft !== undefined || value.hard !== undefined, { message: 'give soft or hard', path: ['soft'] }),
  }),
  z.object({ command: z.literal('shutdown'), arguments: z.object({}).strict().default({}) }),
  // Celery workers only (started with --autoscale): the pool's bounds.
  z.object({
    command: z.literal('autoscale'),
    arguments: z
      .object({
        max: z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000, 'must be at most 1000'),
        min: z.number().int('must be an integer').min(0, 'must be at least 0').max(1_000, 'must be at most 1000'),
      })
      .strict()
      .refine((value) => value.min <= value.max, { message: 'must not exceed max', path: ['min'] }),
  }),
]);
export type WorkerControlBody = z.input<typeof WorkerControlBodySchema>;
export type WorkerCommand = WorkerControlBody['command'];

export const WorkerControlResponseSchema = z.object({
  hostname: z.string(),
  command: z.string(),
  /** The worker's reply, e.g. "pool grown to 5". */
  reply: z.string(),
});
export type WorkerControlResponse = z.infer<typeof WorkerControlResponseSchema>;

// ---------- schedules ----------

const scheduleVersion = z.number().int('must be an integer').min(1, 'must be at least 1');

/**
 * The definition as beat takes it (task, schedule, args, kwargs, queue, priority,
 * expires, enabled, oneOff, startAt, endAt, description, timezone, catchUp);
 * the engine validates each field and a bad one is a 400 naming it.
 */
const scheduleDefinition = {
  task: taskName,
  schedule: z.unknown().refine((value) => value !== undefined && value !== null, 'is required').meta({
    description: "An interval ('1h', ms), a crontab ('0 8 * * *') or { clocked: ISO date-time }",
  }),
};

export const CreateScheduleBodySchema = z.looseObject({ name: ScheduleParamsSchema.shape.id, ...scheduleDefinition });
export type CreateScheduleBody = z.input<typeof CreateScheduleBodySchema>;

export const UpdateScheduleBodySchema = z.looseObject({
  /** The version the edit was based on: a schedule changed since answers 409. */
  version: scheduleVersion,
  ...scheduleDefinition,
});
export type UpdateScheduleBody = z.input<typeof UpdateScheduleBodySchema>;

export const ScheduleVersionBodySchema = z.object({ version: scheduleVersion.optional() }).strict().default({});
export const ScheduleVersionQuerySchema = ScheduleClusterQuerySchema.extend({ version: z.coerce.number().pipe(scheduleVersion).optional() });

export const ScheduleResponseSchema = z.object({ schedule: ScheduleSchema });
export type ScheduleResponse = z.infer<typeof ScheduleResponseSchema>;
