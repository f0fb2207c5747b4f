// The monitor's read API: tasks, workers, queues, dead letters, schedules,
// throughput and the overview. Request and response shapes as zod schemas plus
// their inferred types; re-exported by schemas.ts, so the dashboard reads them
// from `@lovage/gateway/api-types`. Instants are ISO 8601 strings; durations
// (runtime) are seconds; ages are milliseconds as their names say.
import { ATTEMPT_OUTCOMES, TASK_STATES } from '@lovage/engine';
import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });
const isoQuery = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

// ---------- tasks ----------

// The task model is the engine's: these lists are its TASK_STATES and ATTEMPT_OUTCOMES.
export const taskStates = TASK_STATES;
export const TaskStateSchema = z.enum(taskStates).meta({ id: 'TaskState', description: 'Celery states; REJECTED: dead-lettered' });
export type TaskState = z.infer<typeof TaskStateSchema>;

export const attemptOutcomes = ATTEMPT_OUTCOMES;
export const AttemptOutcomeSchema = z.enum(attemptOutcomes).meta({ id: 'AttemptOutcome' });
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

const splitStates = (value: string): string[] => value.split(',').map((part) => part.trim()).filter((part) => part !== '');
const isTaskState = (value: string): value is TaskState => (taskStates as readonly string[]).includes(value);

/** One row of the task list. */
export const TaskSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    state: TaskStateSchema,
    queue: z.string(),
    worker: z.string().nullable(),
    /** The engine's preview of the positional arguments (JSON, cut at 256 characters; may be a string when cut). */
    args: z.unknown(),
    retries: z.number().int(),
    priority: z.number().int().nullable(),
    eta: timestamp.nullable(),
    /** A bounded JSON preview of the return value. */
    resultPreview: z.string().nullable(),
    errorName: z.string().nullable(),
    errorMessage: z.string().nullable(),
    /** Seconds the last attempt ran. */
    runtime: z.number().nullable(),
    /** The task whose result this one receives (a chain's previous step), or inside whose handler it was sent. */
    parentId: z.string().nullable(),
    /** The workflow this task belongs to (every task of one applied canvas shares it). */
    rootId: z.string().nullable(),
    /** The group this task is a member of, and where in it (0-based). */
    groupId: z.string().nullable(),
    groupIndex: z.number().int().nullable(),
    /** Set on a chord's callback: the group whose results it receives. */
    chordGroupId: z.string().nullable(),
    /** The Celery cluster (LOVAGE_CELERY_BROKER_URL's name) the task was seen on; null for Lovage's own tasks. */
    cluster: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    sentAt: timestamp.nullable(),
    receivedAt: timestamp.nullable(),
    startedAt: timestamp.nullable(),
    succeededAt: timestamp.nullable(),
    failedAt: timestamp.nullable(),
    retriedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    rejectedAt: timestamp.nullable(),
  })
  .meta({ id: 'TaskSummary' });
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

/** One execution attempt (the retry history). */
export const TaskAttemptSchema = z
  .object({
    attempt: z.number().int().meta({ description: '1 for the first run' }),
    worker: z.string().nullable(),
    startedAt: timestamp,
    endedAt: timestamp.nullable(),
    outcome: AttemptOutcomeSchema,
    errorName: z.string().nullable(),
    errorMessage: z.string().nullable(),
    errorStack: z.string().nullable(),
    nextRetryAt: timestamp.nullable(),
    runtime: z.number().nullable(),
  })
  .meta({ id: 'TaskAttempt' });
export type TaskAttempt = z.infer<typeof TaskAttemptSchema>;

/** Another task this one points at (parent, root, child, retry link). */
export const TaskLinkSchema = z
  .object({ id: z.string(), name: z.string(), state: TaskStateSchema, createdAt: timestamp })
  .meta({ id: 'TaskLink' });
export type TaskLink = z.infer<typeof TaskLinkSchema>;

/** The latest `currentTask().progress()` of a task. */
export const TaskProgressSchema = z
  .object({
    /** A fraction from 0 to 1. */
    value: z.number().min(0).max(1),
    /** The metadata the task passed with it (JSON), or null. */
    meta: z.unknown().nullable(),
    at: timestamp,
  })
  .meta({ id: 'TaskProgress' });
export type TaskProgress = z.infer<typeof TaskProgressSchema>;

export const taskLogLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One line a task wrote with `currentTask().log()` or its logger. */
export const TaskLogLineSchema = z
  .object({
    /** Stable per line (a number, as text). */
    id: z.string(),
    /** The run that wrote it: 1 for the first. */
    attempt: z.number().int(),
    at: timestamp,
    level: z.string().meta({ description: taskLogLevels.join(', ') }),
    /** As written: several lines stay several lines. */
    message: z.string(),
    fields: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'TaskLogLine' });
export type TaskLogLine = z.infer<typeof TaskLogLineSchema>;

export const TASK_LOG_PAGE_MAX = 1_000;

export const TaskLogsQuerySchema = z.object({
  order: z.enum(['asc', 'desc']).default('asc').meta({ description: 'asc: oldest first (the default); desc: newest first' }),
  cursor: z.string().min(1).max(300).optional().meta({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(TASK_LOG_PAGE_MAX).default(200),
});
export type TaskLogsQuery = z.input<typeof TaskLogsQuerySchema>;

export const TaskLogPageSchema = z.object({
  logs: z.array(TaskLogLineSchema),
  /** null on the last page. */
  nextCursor: z.string().nullable(),
});
export type TaskLogPage = z.infer<typeof TaskLogPageSchema>;

export const TaskDetailSchema = TaskSummarySchema.extend({
  kwargs: z.unknown().nullable(),
  errorStack: z.string().nullable(),
  expires: timestamp.nullable(),
  retriedFromId: z.string().nullable(),
  retriedIntoId: z.string().nullable(),
  attempts: z.array(TaskAttemptSchema),
  parent: TaskLinkSchema.nullable(),
  root: TaskLinkSchema.nullable(),
  /** Tasks whose parent is this one, oldest first (at most 100). */
  children: z.array(TaskLinkSchema),
  /** The task this one re-ran (POST /tasks/:id/retry), and the task that re-ran this one. */
  retriedFrom: TaskLinkSchema.nullable(),
  retriedInto: TaskLinkSchema.nullable(),
  /** Every task that re-ran this one (its retry and its replays), newest first (at most 20). */
  replays: z.array(TaskLinkSchema),
  /** The schedule whose beat run sent this task, when beat sent it. */
  schedule: z.object({ name: z.string(), dueAt: timestamp }).nullable(),
  /** The latest progress the task reported; null when it never did. Its log: GET /tasks/:id/logs. */
  progress: TaskProgressSchema.nullable(),
  /** The W3C trace id of the task's OpenTelemetry trace (its message's traceparent); null when it was not traced. */
  traceId: z.string().nullable(),
}).meta({ id: 'TaskDetail' });
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

export const TASK_PAGE_MAX = 200;

export const TaskListQuerySchema = z.object({
  state: z
    .string()
    .max(500)
    .refine((value) => splitStates(value).length > 0 && splitStates(value).every(isTaskState), `must be one or more of ${taskStates.join(', ')}, comma-separated`)
    .transform((value) => splitStates(value) as TaskState[])
    .optional().meta({ description: 'One state or several, comma-separated' }),
  name: z.string().min(1).max(200).optional().meta({ description: 'Exact task name' }),
  worker: z.string().min(1).max(200).optional(),
  queue: z.string().min(1).max(200).optional(),
  cluster: z.string().min(1).max(100).optional().meta({ description: "A watched Celery cluster's name, or `lovage` for Lovage's own tasks" }),
  q: z.string().trim().min(1, 'must not be empty').max(200).optional().meta({ description: 'Full-text search over name, args, kwargs, result and error (all words must match)' }),
  since: isoQuery.optional().meta({ description: 'Created at or after' }),
  until: isoQuery.optional().meta({ description: 'Created before' }),
  cursor: z.string().min(1).max(300).optional().meta({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(TASK_PAGE_MAX).default(50),
});
export type TaskListQuery = z.input<typeof TaskListQuerySchema>;

export const TaskPageSchema = z.object({
  tasks: z.array(TaskSummarySchema),
  /** Newest first; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type TaskPage = z.infer<typeof TaskPageSchema>;

export const TaskIdParamsSchema = z.object({ id: z.string().min(1).max(200) });
export type TaskIdParams = z.infer<typeof TaskIdParamsSchema>;

export const TaskDetailResponseSchema = z.object({ task: TaskDetailSchema });
export type TaskDetailResponse = z.infer<typeof TaskDetailResponseSchema>;

/** Values for the task list's filter dropdowns. */
export const TaskFacetsSchema = z
  .object({
    names: z.array(z.string()),
    queues: z.array(z.string()),
    workers: z.array(z.string()),
    /** Celery clusters that tasks were seen on; empty when every task is Lovage's own. */
    clusters: z.array(z.string()),
    states: z.array(TaskStateSchema),
  })
  .meta({ id: 'TaskFacets' });
export type TaskFacets = z.infer<typeof TaskFacetsSchema>;

// ---------- workflows (canvas) ----------

/** Members a workflow graph lists at most; the rest are counted (`total`, each group's `counts`). */
export const WORKFLOW_NODE_LIMIT = 500;
/** Members of one group listed at most (failed ones first, then by position); the rest are counted. */
export const WORKFLOW_GROUP_MEMBER_LIMIT = 100;

/**
 * `parent`: parent → child (a chain's next step, or a task sent from inside the parent's handler:
 * the events do not tell them apart). `group`: group → member. `chord`: group → the chord's
 * callback (it receives every member's result). `retry`: a failed member → its re-run.
 */
export const workflowEdgeKinds = ['parent', 'group', 'chord', 'retry'] as const;
export const WorkflowEdgeKindSchema = z.enum(workflowEdgeKinds).meta({ id: 'WorkflowEdgeKind' });
export type WorkflowEdgeKind = z.infer<typeof WorkflowEdgeKindSchema>;

/** One task of a workflow. */
export const WorkflowNodeSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    state: TaskStateSchema,
    /** Seconds the last attempt ran. */
    runtime: z.number().nullable(),
    parentId: z.string().nullable(),
    groupId: z.string().nullable(),
    groupIndex: z.number().int().nullable(),
    chordGroupId: z.string().nullable(),
    /** Re-run links (retry, retry-failed): a member whose retriedIntoId is set was superseded by that task. */
    retriedFromId: z.string().nullable(),
    retriedIntoId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'WorkflowNode' });
export type WorkflowNode = z.infer<typeof WorkflowNodeSchema>;

/** A group of the workflow, counted whole even when only some members are listed. */
export const WorkflowGroupSchema = z
  .object({
    id: z.string(),
    /** Members stored. */
    size: z.number().int(),
    /** Members by state (all of them, listed or not). */
    counts: z.partialRecord(TaskStateSchema, z.number().int()),
    /** Members listed in `nodes` (at most WORKFLOW_GROUP_MEMBER_LIMIT). */
    listed: z.number().int(),
    /** The chord's callback, when the group is a chord's header. */
    callbackId: z.string().nullable(),
  })
  .meta({ id: 'WorkflowGroup' });
export type WorkflowGroup = z.infer<typeof WorkflowGroupSchema>;

export const WorkflowEdgeSchema = z
  .object({
    /** A task id, or a group id for `group` and `chord` edges. */
    from: z.string(),
    /** A task id. */
    to: z.string(),
    kind: WorkflowEdgeKindSchema,
  })
  .meta({ id: 'WorkflowEdge' });
export type WorkflowEdge = z.infer<typeof WorkflowEdgeSchema>;

export const WorkflowGraphSchema = z
  .object({
    /** The workflow's root task id (the task's own id when it has no root). */
    rootId: z.string(),
    /** The task asked about (always among `nodes`). */
    taskId: z.string(),
    /** Tasks in the workflow, listed or not. 1 when the task has no workflow. */
    total: z.number().int(),
    /** Tasks not in a group first (oldest first), then group members; see the limits. */
    nodes: z.array(WorkflowNodeSchema),
    groups: z.array(WorkflowGroupSchema),
    /** Edges between listed nodes and groups only. */
    edges: z.array(WorkflowEdgeSchema),
    /** True when some members are not listed (`total` > nodes, or a group beyond its limit). */
    truncated: z.boolean(),
    limits: z.object({ nodes: z.number().int(), groupMembers: z.number().int() }),
  })
  .meta({ id: 'WorkflowGraph' });
export type WorkflowGraph = z.infer<typeof WorkflowGraphSchema>;

export const WorkflowResponseSchema = z.object({ workflow: WorkflowGraphSchema });
export type WorkflowResponse = z.infer<typeof WorkflowResponseSchema>;

// ---------- workers ----------

export const WorkerSummarySchema = z
  .object({
    hostname: z.string(),
    pid: z.number().int().nullable(),
    version: z.string().nullable(),
    queues: z.array(z.string()),
    poolKind: z.string().nullable(),
    poolSize: z.number().int().nullable(),
    firstSeen: timestamp,
    lastHeartbeat: timestamp,
    online: z.boolean(),
    /** Tasks running now (as of the last heartbeat). */
    active: z.number().int(),
    processed: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    loadavg: z.array(z.number()),
    /** Resident set size, bytes. */
    memoryRss: z.number().nullable(),
    /** The Celery cluster (LOVAGE_CELERY_BROKER_URL's name) of a Python worker; null for Lovage's own workers. */
    cluster: z.string().nullable(),
    /** A Celery worker's max-concurrency from `inspect stats` (poolSize: the processes it runs now, which pool grow/shrink change); null for Lovage's. */
    maxConcurrency: z.number().int().nullable(),
    /** A Celery worker's prefetch count from `inspect stats`; null for Lovage's. */
    prefetchCount: z.number().int().nullable(),
    /** When `inspect stats` last answered for a Celery worker; null for Lovage's. */
    statsAt: timestamp.nullable(),
  })
  .meta({ id: 'WorkerSummary' });
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;

export const WorkerListSchema = z.object({ workers: z.array(WorkerSummarySchema) });
export type WorkerList = z.infer<typeof WorkerListSchema>;

export const WorkerListQuerySchema = z.object({
  online: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  cluster: z.string().min(1).max(100).optional().meta({ description: "A watched Celery cluster's name, or `lovage` for Lovage's own workers" }),
});
export type WorkerListQuery = z.input<typeof WorkerListQuerySchema>;

/** A downsampled heartbeat (one per worker per 10 s). */
export const HeartbeatSampleSchema = z
  .object({
    at: timestamp,
    active: z.number().int(),
    processed: z.number().int(),
    loadavg: z.array(z.number()),
    memoryRss: z.number().nullable(),
  })
  .meta({ id: 'HeartbeatSample' });
export type HeartbeatSample = z.infer<typeof HeartbeatSampleSchema>;

export const WorkerDetailSchema = WorkerSummarySchema.extend({
  /** The last hour of samples, oldest first (for sparklines). */
  heartbeats: z.array(HeartbeatSampleSchema),
  /** Tasks in STARTED state on this worker, newest first (at most 50). */
  runningTasks: z.array(TaskLinkSchema),
}).meta({ id: 'WorkerDetail' });
export type WorkerDetail = z.infer<typeof WorkerDetailSchema>;

export const WorkerParamsSchema = z.object({ hostname: z.string().min(1).max(300) });
export const WorkerDetailResponseSchema = z.object({ worker: WorkerDetailSchema });
export type WorkerDetailResponse = z.infer<typeof WorkerDetailResponseSchema>;

// ---------- queues and dead letters ----------

export const QueueRatePointSchema = z.object({ minute: timestamp, enqueued: z.number().int(), dequeued: z.number().int() }).meta({ id: 'QueueRatePoint' });
export type QueueRatePoint = z.infer<typeof QueueRatePointSchema>;

export const QueueSummarySchema = z
  .object({
    name: z.string(),
    ready: z.number().int(),
    delayed: z.number().int(),
    /** Leased to a worker (running or prefetched). */
    reserved: z.number().int(),
    dead: z.number().int(),
    /** Paused: the queue takes tasks, workers start none until it is resumed (always false for a Celery cluster's queue). */
    paused: z.boolean(),
    /**
     * Global concurrency limit: at most this many of its tasks leased to workers (running or prefetched) at once,
     * across every worker; null when unlimited (always null for a Celery cluster's queue).
     */
    concurrency: z.number().int().nullable(),
    /** Age (ms) of the message next to be delivered, null when empty. */
    oldestAgeMs: z.number().nullable(),
    enqueuedPerMinute: z.number(),
    dequeuedPerMinute: z.number(),
    /** The broker's per-minute counters for the last hour, oldest first. */
    history: z.array(QueueRatePointSchema),
    /**
     * The Celery cluster (LOVAGE_CELERY_BROKER_URL's name) whose broker holds the queue; null for Lovage's own.
     * A Celery queue's `ready` is its kombu lists' length (all priority steps), `reserved` the tasks the monitor
     * holds as received or started from it, `delayed` those received with an ETA still ahead (a Celery worker holds
     * them); its rates count what its workers received (enqueued) and started (dequeued) per minute; dead and age
     * are not tracked for it (0, null).
     */
    cluster: z.string().nullable(),
  })
  .meta({ id: 'QueueSummary' });
export type QueueSummary = z.infer<typeof QueueSummarySchema>;

export const QueueListSchema = z.object({
  /** False when this gateway has no engine app (it then only serves the database): queues is empty. */
  available: z.boolean(),
  queues: z.array(QueueSummarySchema),
});
export type QueueList = z.infer<typeof QueueListSchema>;

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    task: z.string().nullable(),
    /** Why it was dead-lettered. */
    reason: z.string(),
    at: timestamp,
    /** The message body (cut at 4 KiB; `bodyTruncated` says when). */
    body: z.string(),
    bodyTruncated: z.boolean(),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

export const DeadLetterQuerySchema = z.object({
  queue: z.string().min(1).max(200).optional().meta({ description: 'One queue; all queues with dead letters when absent' }),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
export type DeadLetterQuery = z.input<typeof DeadLetterQuerySchema>;

export const DeadLetterListSchema = z.object({ available: z.boolean(), deadLetters: z.array(DeadLetterSchema) });
export type DeadLetterList = z.infer<typeof DeadLetterListSchema>;

// ---------- schedules ----------

export const ScheduleKindSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('interval'), everyMs: z.number() }),
    z.object({ kind: z.literal('crontab'), expression: z.string() }),
    z.object({ kind: z.literal('clocked'), at: timestamp }),
  ])
  .meta({ id: 'ScheduleKind' });
export type ScheduleKind = z.infer<typeof ScheduleKindSchema>;

/** A schedule as the engine's store keeps it (the definition plus its run state). */
export const ScheduleSchema = z
  .object({
    name: z.string(),
    task: z.string(),
    schedule: ScheduleKindSchema,
    args: z.array(z.unknown()),
    kwargs: z.record(z.string(), z.unknown()).nullable(),
    queue: z.string().nullable(),
    priority: z.number().nullable(),
    expiresMs: z.number().nullable(),
    enabled: z.boolean(),
    oneOff: z.boolean(),
    startAt: timestamp.nullable(),
    endAt: timestamp.nullable(),
    description: z.string().nullable(),
    timezone: z.string(),
    catchUp: z.enum(['once', 'skip', 'all']),
    source: z.enum(['code', 'api']),
    /** The optimistic-concurrency token: send it back as expectedVersion when editing. */
    version: z.number().int(),
    lastRunAt: timestamp.nullable(),
    totalRunCount: z.number().int(),
    nextRunAt: timestamp.nullable(),
    lastDueAt: timestamp.nullable(),
    runRequestedAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    updatedBy: z.string().nullable(),
    /** The Celery cluster whose Lovage beat (Celery mode) keeps this schedule; null for the gateway's own app's. */
    cluster: z.string().nullable(),
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof ScheduleSchema>;

/** One firing of a schedule, with the state its task reached. */
export const ScheduleRunSchema = z
  .object({
    dueAt: timestamp,
    firedAt: timestamp.nullable(),
    taskId: z.string().nullable(),
    taskState: TaskStateSchema.nullable(),
    runtime: z.number().nullable(),
  })
  .meta({ id: 'ScheduleRun' });
export type ScheduleRun = z.infer<typeof ScheduleRunSchema>;

export const ScheduleListSchema = z.object({
  available: z.boolean(),
  schedules: z.array(ScheduleSchema),
  /** Each of the gateway's own schedules' newest recorded run and its task's state, by schedule name (absent: never ran, or a cluster's schedule). */
  lastRuns: z.record(z.string(), ScheduleRunSchema),
});
export type ScheduleList = z.infer<typeof ScheduleListSchema>;

/** One audited edit of a schedule. */
export const ScheduleChangeSchema = z
  .object({
    action: z.string(),
    actor: z.string(),
    at: timestamp,
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
  })
  .meta({ id: 'ScheduleChange' });
export type ScheduleChange = z.infer<typeof ScheduleChangeSchema>;

export const ScheduleParamsSchema = z.object({ id: z.string().min(1).max(200) });
/** Which store a schedule route means: a watched Celery cluster's beat, or (left out) the gateway's own app. */
export const ScheduleClusterQuerySchema = z.object({ cluster: z.string().min(1).max(100).optional() });

export const ScheduleDetailSchema = z.object({
  schedule: ScheduleSchema,
  /** The next run times (at most 5), empty when disabled or finished. */
  nextRuns: z.array(timestamp),
  /** The newest 50 runs, newest first. */
  runs: z.array(ScheduleRunSchema),
  /** The newest 50 edits, newest first. */
  changes: z.array(ScheduleChangeSchema),
});
export type ScheduleDetail = z.infer<typeof ScheduleDetailSchema>;

// ---------- metrics ----------

/** The windows of the throughput and queue history; past LOVAGE_METRICS_RETENTION (90 days) they read the hourly rollups. */
export const throughputWindows = ['15m', '1h', '6h', '24h', '7d', '30d', '90d', '365d'] as const;
export const ThroughputQuerySchema = z.object({
  window: z.enum(throughputWindows).default('1h'),
  name: z.string().min(1).max(200).optional().meta({ description: 'One task name' }),
  queue: z.string().min(1).max(200).optional(),
});
export type ThroughputQuery = z.input<typeof ThroughputQuerySchema>;

export const ThroughputPointSchema = z
  .object({
    /** Start of the bucket. */
    at: timestamp,
    received: z.number().int(),
    started: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    retried: z.number().int(),
    revoked: z.number().int(),
    /** failed / (succeeded + failed), null when neither happened. */
    failureRate: z.number().nullable(),
    /** Seconds, from the runtime histogram (upper bound of the bucket holding the rank). */
    runtimeP50: z.number().nullable(),
    runtimeP95: z.number().nullable(),
    runtimeP99: z.number().nullable(),
    runtimeMax: z.number().nullable(),
  })
  .meta({ id: 'ThroughputPoint' });
export type ThroughputPoint = z.infer<typeof ThroughputPointSchema>;

export const ThroughputSchema = z.object({
  window: z.enum(throughputWindows),
  /** Width of each point: 60 s up to 6 h windows, wider beyond so a chart gets at most ~360 points. */
  bucketSeconds: z.number().int(),
  from: timestamp,
  to: timestamp,
  /** Every bucket of the window, oldest first, zeros where nothing happened. */
  points: z.array(ThroughputPointSchema),
  totals: ThroughputPointSchema.omit({ at: true }),
});
export type Throughput = z.infer<typeof ThroughputSchema>;

// ---------- overview ----------

export const OverviewSchema = z.object({
  generatedAt: timestamp,
  tasks: z.object({
    /** Rows stored (Postgres's estimate: exact counts of millions of rows are slow). */
    stored: z.number().int(),
    /** Tasks not finished, by state. */
    pending: z.number().int(),
    received: z.number().int(),
    started: z.number().int(),
    retry: z.number().int(),
  }),
  /** Counts over the last 24 hours, from the per-minute buckets. */
  last24h: ThroughputPointSchema.omit({ at: true }),
  /** Counts over the last hour. */
  lastHour: ThroughputPointSchema.omit({ at: true }),
  workers: z.object({ online: z.number().int(), offline: z.number().int() }),
  /** Task names with the most failures in the last 24 hours (at most 5). */
  topFailing: z.array(z.object({ name: z.string(), failed: z.number().int(), succeeded: z.number().int(), failureRate: z.number().nullable() })),
  /** Queue depth from the broker; null when this gateway has no engine app. */
  queues: z
    .object({
      ready: z.number().int(),
      delayed: z.number().int(),
      reserved: z.number().int(),
      dead: z.number().int(),
      byQueue: z.array(z.object({ name: z.string(), ready: z.number().int(), reserved: z.number().int(), dead: z.number().int() })),
    })
    .nullable(),
  /** Where the event ingest stands; null when this gateway ingests nothing. */
  ingest: z
    .object({
      state: z.enum(['running', 'failing', 'stopped']),
      caughtUp: z.boolean(),
      behindMs: z.number().nullable(),
      eventsApplied: z.number().int(),
      lastError: z.string().nullable(),
    })
    .nullable(),
});
export type Overview = z.infer<typeof OverviewSchema>;
