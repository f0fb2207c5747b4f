// The live feed's protocol (socket.io at path /socket.io on the gateway's port):
// the rooms a client may join, what it sends, and every event it receives with
// its payload type. Re-exported by api/schemas.ts, so the dashboard reads it
// from `@lovage/gateway/api-types`: zod only.
//
// Connect with the session cookie (`withCredentials: true`) or, outside a
// browser, `auth: { token: 'lvg_...' }` / an `Authorization: Bearer` header.
// An unauthenticated connection is refused with connect_error "UNAUTHENTICATED".
//
//   client → server
//     'subscribe'   LiveSubscribeRequest, ack(LiveAck)   join a room (tasks: one filter per socket; a new one replaces it)
//     'unsubscribe' { room }, ack(LiveAck)               leave it
//   server → client (one event per room kind, at most ~10 per second per room;
//   the latest state of each entity wins within that window)
//     'overview:update'  LiveOverviewUpdate   room overview
//     'tasks:update'     LiveTasksUpdate      room tasks (the client's filter applied)
//     'task:update'      LiveTaskUpdate       room task:<id>
//     'task:logs'        LiveTaskLogs         room task:<id> (new log lines: append them)
//     'workers:update'   LiveWorkersUpdate    room workers
//     'worker:update'    LiveWorkerUpdate     room worker:<hostname>
//     'queues:update'    LiveQueuesUpdate     room queues (every queue, each time one changed)
//     'schedules:update' LiveSchedulesUpdate  room schedules
//     'jobs:update'      LiveJobsUpdate       room jobs (bulk retry/revoke progress)
import { z } from 'zod';
import { BulkJobSchema } from '../actions/schemas.js';
import {
  QueueSummarySchema,
  ScheduleSchema,
  TaskAttemptSchema,
  TaskLogLineSchema,
  TaskProgressSchema,
  TaskStateSchema,
  TaskSummarySchema,
  taskStates,
  WorkerSummarySchema,
} from '../api/monitor-schemas.js';

export const LIVE_PATH = '/socket.io';

/** Rooms without an argument. `task:<id>` and `worker:<hostname>` follow one task or one worker. */
export const liveRooms = ['overview', 'tasks', 'workers', 'queues', 'schedules', 'jobs'] as const;
export type LiveRoomName = (typeof liveRooms)[number];
export type LiveRoom = LiveRoomName | `task:${string}` | `worker:${string}`;

export const LiveRoomSchema = z.union([
  z.enum(liveRooms),
  z.string().regex(/^task:.{1,200}$/, 'must be a room name: overview, tasks, task:<id>, workers, worker:<hostname>, queues, schedules or jobs'),
  z.string().regex(/^worker:.{1,300}$/),
]);

/** The task list's filter, as on GET /tasks (exact matches; several states allowed). */
export const LiveTaskFilterSchema = z
  .object({
    state: z.array(TaskStateSchema).min(1).max(taskStates.length).optional(),
    name: z.string().min(1).max(200).optional(),
    worker: z.string().min(1).max(300).optional(),
    queue: z.string().min(1).max(200).optional(),
    /** One workflow: its root task and every task whose rootId is it (the task page's workflow graph). */
    rootId: z.string().min(1).max(200).optional(),
  })
  .strict();
export type LiveTaskFilter = z.infer<typeof LiveTaskFilterSchema>;

export const LiveSubscribeRequestSchema = z.object({
  room: LiveRoomSchema,
  /** Only for room `tasks`. */
  filter: LiveTaskFilterSchema.optional(),
});
export type LiveSubscribeRequest = z.input<typeof LiveSubscribeRequestSchema>;

export const LiveAckSchema = z.union([
  z.object({ ok: z.literal(true), room: z.string() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) }),
]);
export type LiveAck = z.infer<typeof LiveAckSchema>;

const timestamp = z.iso.datetime({ offset: true });

/** A tick of the overview: what the ingest committed since the last one. Refetch GET /overview on it (throttled). */
export const LiveOverviewUpdateSchema = z.object({
  at: timestamp,
  /** Events written since the previous update. */
  events: z.number().int(),
  /** Tasks that changed since the previous update, by the state they are in now. */
  tasks: z.partialRecord(TaskStateSchema, z.number().int()),
  /** Workers whose row changed. */
  workers: z.number().int(),
});
export type LiveOverviewUpdate = z.infer<typeof LiveOverviewUpdateSchema>;

export const LiveTasksUpdateSchema = z.object({
  /** Changed tasks matching the subscriber's filter, latest state, most recently changed last. */
  tasks: z.array(TaskSummarySchema),
  /** How many more matching tasks changed in this window than were sent: refetch the page when > 0. */
  dropped: z.number().int(),
});
export type LiveTasksUpdate = z.infer<typeof LiveTasksUpdateSchema>;

export const LiveTaskUpdateSchema = z.object({
  task: TaskSummarySchema.extend({ errorStack: z.string().nullable(), expires: timestamp.nullable(), progress: TaskProgressSchema.nullable() }),
  /** Attempts that changed (merge by `attempt`). */
  attempts: z.array(TaskAttemptSchema),
});
export type LiveTaskUpdate = z.infer<typeof LiveTaskUpdateSchema>;

export const LiveTaskLogsSchema = z.object({
  taskId: z.string(),
  /** Lines written since the previous message, oldest first (at most a few hundred per message; refetch GET /tasks/:id/logs when `dropped` > 0). */
  logs: z.array(TaskLogLineSchema),
  dropped: z.number().int(),
});
export type LiveTaskLogs = z.infer<typeof LiveTaskLogsSchema>;

export const LiveWorkersUpdateSchema = z.object({ workers: z.array(WorkerSummarySchema) });
export type LiveWorkersUpdate = z.infer<typeof LiveWorkersUpdateSchema>;

export const LiveWorkerUpdateSchema = z.object({ worker: WorkerSummarySchema });
export type LiveWorkerUpdate = z.infer<typeof LiveWorkerUpdateSchema>;

export const LiveQueuesUpdateSchema = z.object({ queues: z.array(QueueSummarySchema) });
export type LiveQueuesUpdate = z.infer<typeof LiveQueuesUpdateSchema>;

export const LiveSchedulesUpdateSchema = z.object({
  /** Schedules created or changed (edits, runs, next run time). */
  schedules: z.array(ScheduleSchema),
  /** Schedules deleted: their name and store (cluster null: the gateway's own). */
  removed: z.array(z.object({ name: z.string(), cluster: z.string().nullable() })),
});
export type LiveSchedulesUpdate = z.infer<typeof LiveSchedulesUpdateSchema>;

export const LiveJobsUpdateSchema = z.object({ jobs: z.array(BulkJobSchema) });
export type LiveJobsUpdate = z.infer<typeof LiveJobsUpdateSchema>;

/** Event name → payload, for typing a socket.io client: `Socket<LiveServerEvents>`. */
export interface LiveServerEvents {
  'overview:update': (payload: LiveOverviewUpdate) => void;
  'tasks:update': (payload: LiveTasksUpdate) => void;
  'task:update': (payload: LiveTaskUpdate) => void;
  'task:logs': (payload: LiveTaskLogs) => void;
  'workers:update': (payload: LiveWorkersUpdate) => void;
  'worker:update': (payload: LiveWorkerUpdate) => void;
  'queues:update': (payload: LiveQueuesUpdate) => void;
  'schedules:update': (payload: LiveSchedulesUpdate) => void;
  'jobs:update': (payload: LiveJobsUpdate) => void;
}

export interface LiveClientEvents {
  subscribe: (request: LiveSubscribeRequest, ack: (result: LiveAck) => void) => void;
  unsubscribe: (request: { room: string }, ack: (result: LiveAck) => void) => void;
}
