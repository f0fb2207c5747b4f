// The live feed: socket.io on the gateway's own HTTP server (path /socket.io).
//
// Sources: each batch the ingest commits (tasks, attempts and workers that
// changed, schedules fired or edited), the bulk-job runner, and — only while
// someone watches — periodic reads of the broker's queue stats and of the
// schedule store (whose next-run times move without any event).
//
// Every room is coalesced (see coalescer.ts): at most one message per room per
// interval (100 ms by default), holding the latest state of each entity that
// changed. Work is skipped for rooms nobody is in, so an idle gateway does
// nothing per event beyond a membership check.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Lovage } from '@lovage/engine';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import type { BulkJobs } from '../actions/bulk-jobs.js';
import type { BulkJob } from '../actions/schemas.js';
import type { Schedule } from '../api/monitor-schemas.js';
import type { AttemptRow, BatchResult, TaskLogRow, TaskRow, WorkerSnapshot } from '../ingest/batch-result.js';
import { addSecurityHeaders } from '../security/headers.js';
import { Coalescer, Throttled } from './coalescer.js';
import { listQueues } from '../api/queues.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import { scheduleOf, type ScheduleSources } from '../api/schedule-sources.js';
import { toTaskAttempt } from '../api/tasks.js';
import { matchesFilter, taskDetail, taskLogLine, taskSummary, tasksRoomOf, workerSummary } from './payloads.js';
import {
  LIVE_PATH,
  LiveSubscribeRequestSchema,
  type LiveAck,
  type LiveClientEvents,
  type LiveOverviewUpdate,
  type LiveServerEvents,
  type LiveTaskFilter,
} from './schemas.js';
import { authenticateHandshake, SocketAuthError, stillValid, type SocketAuthDeps, type SocketCredentials } from './socket-auth.js';

/** What the feed reads of a committed ingest batch. */
export type AppliedBatch = Pick<BatchResult, 'events' | 'tasks' | 'attempts' | 'workers' | 'scheduleRuns' | 'scheduleChanges' | 'logs'>;

/** Most log lines in one `task:logs` message; more in one window are counted in `dropped`. */
const MAX_LOG_LINES_PER_UPDATE = 500;

export interface LiveFeedOptions {
  /** Shortest time between two messages of one room. Default 100 ms (≤ 10 per second). */
  intervalMs?: number;
  /** How often queues and schedules are re-read while someone watches them. Default 1 s. */
  pollMs?: number;
  /** How often each socket's session or token is checked again. Default 60 s. */
  revalidateMs?: number;
  /** Most tasks in one `tasks:update` (the rest is counted in `dropped`). Default 200. */
  maxTasksPerUpdate?: number;
}

interface SocketData {
  credentials: SocketCredentials;
  /** The socket's current task-list room (one per socket). */
  tasksRoom: string | null;
}

type LiveSocket = Socket<LiveClientEvents, LiveServerEvents, Record<string, never>, SocketData>;

interface PendingLogs {
  taskId: string;
  lines: TaskLogRow[];
  dropped: number;
}

interface PendingTask {
  row: TaskRow;
  at: number;
  attempts: Map<number, AttemptRow>;
}

export class LiveFeed {
  readonly io: Server<LiveClientEvents, LiveServerEvents, Record<string, never>, SocketData>;
  private readonly intervalMs: number;
  private readonly maxTasks: number;
  private readonly taskFilters = new Map<string, LiveTaskFilter | undefined>();
  private readonly tasks: Coalescer<PendingTask>;
  private readonly taskLogs: Coalescer<PendingLogs>;
  private readonly overview: Coalescer<LiveOverviewUpdate>;
  private readonly jobs: Coalescer<BulkJob>;
  private readonly workers: Coalescer<WorkerSnapshot>;
  private readonly queuesRefresh: Throttled;
  private readonly schedulesRefresh: Throttled;
  private sentQueues = '';
  /** The JSON last sent of each schedule, by scheduleKey. */
  private readonly sentSchedules = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribers: (() => void)[] = [];

  constructor(
    server: HttpServer,
    private readonly deps: SocketAuthDeps & { app: Lovage | null; celery: CeleryActions | null; schedules: ScheduleSources; logger: Logger; trustProxy: boolean },
    options: LiveFeedOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.maxTasks = options.maxTasksPerUpdate ?? 200;
    const pollMs = options.pollMs ?? 1_000;
    const logError = (what: string) => (error: unknown) => deps.logger.warn({ err: error }, `live feed: ${what} failed`);

    this.io = new Server(server, {
      path: LIVE_PATH,
      serveClient: false,
      // The dashboard may connect from its own origin (another port): let its browser send the cookie.
      cors: { origin: [...deps.allowedOrigins], credentials: true },
    });
    // socket.io answers its HTTP transport itself, outside Fastify's hooks.
    this.io.engine.on('headers', (headers: Record<string, string>, request: IncomingMessage) => addSecurityHeaders(headers, request, deps.trustProxy));
    this.io.use((socket, next) => {
      authenticateHandshake({ headers: socket.handshake.headers, auth: socket.handshake.auth, secure: socket.handshake.secure }, deps).then(
        (credentials) => {
          socket.data.credentials = credentials;
          socket.data.tasksRoom = null;
          next();
        },
        (error: unknown) => {
          if (!(error instanceof SocketAuthError)) deps.logger.error({ err: error }, 'live feed: authenticating a socket failed');
          const refused = new Error(error instanceof SocketAuthError ? error.code : 'UNAUTHENTICATED') as Error & { data?: unknown };
          refused.data = { message: error instanceof SocketAuthError ? error.message : 'Authentication failed' };
          next(refused);
        },
      );
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
    this.io.of('/').adapter.on('delete-room', (room: string) => {
      if (room.startsWith('tasks')) this.taskFilters.delete(room);
      if (room === 'queues') this.sentQueues = '';
      if (room === 'schedules') this.sentSchedules.clear();
    });

    this.tasks = new Coalescer(this.intervalMs, (values) => this.flushTasks(values));
    this.taskLogs = new Coalescer(this.intervalMs, (values) => {
      for (const pending of values) {
        this.io.to(`task:${pending.taskId}`).emit('task:logs', { taskId: pending.taskId, logs: pending.lines.map(taskLogLine), dropped: pending.dropped });
      }
    });
    this.overview = new Coalescer(this.intervalMs, ([update]) => {
      if (update) this.io.to('overview').emit('overview:update', { ...update, at: new Date().toISOString() });
    });
    this.jobs = new Coalescer(this.intervalMs, (values) => this.io.to('jobs').emit('jobs:update', { jobs: values }));
    this.workers = new Coalescer(this.intervalMs, (values) => this.flushWorkers(values));
    this.queuesRefresh = new Throttled(this.intervalMs, () => this.refreshQueues(), logError('reading queue stats'));
    this.schedulesRefresh = new Throttled(this.intervalMs, () => this.refreshSchedules(), logError('reading schedules'));

    const poll = setInterval(() => {
      if (this.has('queues')) this.queuesRefresh.request();
      if (this.has('schedules')) this.schedulesRefresh.request();
    }, pollMs);
    const revalidate = setInterval(() => void this.revalidate(), options.revalidateMs ?? 60_000);
    poll.unref();
    revalidate.unref();
    this.timers.push(poll, revalidate);
  }

  /** Feeds the rooms from each batch the ingest commits. */
  follow(source: { onApplied(listener: (batch: AppliedBatch) => void): () => void }): void {
    this.unsubscribers.push(source.onApplied((batch) => this.applied(batch)));
  }

  /** Pushes bulk-job progress to the jobs room. */
  followJobs(jobs: Pick<BulkJobs, 'onChange'>): void {
    this.unsubscribers.push(jobs.onChange((job) => this.jobs.add(job.id, job)));
  }

  /** A schedule changed through the API: refresh the schedules room now rather than at the next poll. */
  scheduleEdited(): void {
    if (this.has('schedules')) this.schedulesRefresh.request();
  }

  /** Number of connected sockets. */
  get connections(): number {
    return this.io.of('/').sockets.size;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.tasks.close();
    this.taskLogs.close();
    this.overview.close();
    this.jobs.close();
    this.workers.close();
    await Promise.all([this.queuesRefresh.close(), this.schedulesRefresh.close()]);
    // Not io.close(): that would close the HTTP server, which Fastify owns and closes itself.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }

  private has(room: string): boolean {
    return (this.io.of('/').adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  private roomsStartingWith(prefix: string): string[] {
    const rooms: string[] = [];
    for (const [room, members] of this.io.of('/').adapter.rooms) if (members.size > 0 && room.startsWith(prefix)) rooms.push(room);
    return rooms;
  }

  private watchingWorkers(): boolean {
    return this.has('workers') || this.roomsStartingWith('worker:').length > 0;
  }

  private onConnection(socket: LiveSocket): void {
    socket.on('subscribe', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const parsed = LiveSubscribeRequestSchema.safeParse(request);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.map(String).join('.') || 'room';
        reply({ ok: false, error: { code: 'VALIDATION_FAILED', message: `${field}: ${issue?.message ?? 'invalid'}`, field } });
        return;
      }
      const { room, filter } = parsed.data;
      let joined: string = room;
      if (room === 'tasks') {
        joined = tasksRoomOf(filter);
        if (socket.data.tasksRoom && socket.data.tasksRoom !== joined) void socket.leave(socket.data.tasksRoom);
        this.taskFilters.set(joined, filter && Object.keys(filter).length > 0 ? filter : undefined);
        socket.data.tasksRoom = joined;
      } else if (filter) {
        reply({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'filter: only the tasks room takes a filter', field: 'filter' } });
        return;
      }
      void socket.join(joined);
      reply({ ok: true, room: joined } satisfies LiveAck);
      if (room === 'queues') this.queuesRefresh.request();
      if (room === 'schedules') this.schedulesRefresh.request();
    });
    socket.on('unsubscribe', (request, ack) => {
      const reply = typeof ack === 'function' ? ack : () => undefined;
      const room = typeof request === 'object' && request !== null && typeof request.room === 'string' ? request.room : null;
      if (room === null) {
        reply({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'room: is required', field: 'room' } });
        return;
      }
      const left = room === 'tasks' || room.startsWith('tasks?') ? socket.data.tasksRoom : room;
      if (left) void socket.leave(left);
      if (left === socket.data.tasksRoom) socket.data.tasksRoom = null;
      reply({ ok: true, room: left ?? room });
    });
  }

  private applied(batch: AppliedBatch): void {
    const now = Date.now();
    if (this.has('overview')) {
      const counts: LiveOverviewUpdate['tasks'] = {};
      for (const task of batch.tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
      this.overview.add('overview', { at: '', events: batch.events, tasks: counts, workers: batch.workers.length }, (previous, next) => {
        const tasks = { ...previous.tasks };
        for (const [state, count] of Object.entries(next.tasks) as [keyof typeof tasks, number][]) tasks[state] = (tasks[state] ?? 0) + count;
        return { at: '', events: previous.events + next.events, tasks, workers: previous.workers + next.workers };
      });
    }
    if (batch.workers.length > 0 && this.watchingWorkers()) for (const worker of batch.workers) this.workers.add(worker.hostname, worker);
    if ((batch.scheduleRuns.length > 0 || batch.scheduleChanges.length > 0) && this.has('schedules')) this.schedulesRefresh.request();
    const watchingTaskList = this.taskFilters.size > 0;
    const detailRooms = this.roomsStartingWith('task:');
    if (!watchingTaskList && detailRooms.length === 0) return;
    if (batch.logs && batch.logs.length > 0 && detailRooms.length > 0) this.addLogs(batch.logs, detailRooms);
    const attemptsByTask = new Map<string, AttemptRow[]>();
    for (const attempt of batch.attempts) {
      const list = attemptsByTask.get(attempt.taskId);
      if (list) list.push(attempt);
      else attemptsByTask.set(attempt.taskId, [attempt]);
    }
    const followed = new Set(detailRooms.map((room) => room.slice('task:'.length)));
    for (const row of batch.tasks) {
      if (!watchingTaskList && !followed.has(row.id)) continue;
      const attempts = new Map((attemptsByTask.get(row.id) ?? []).map((attempt) => [attempt.attempt, attempt]));
      this.tasks.add(row.id, { row, at: now, attempts }, (previous, next) => {
        for (const [number, attempt] of next.attempts) previous.attempts.set(number, attempt);
        return { row: next.row, at: next.at, attempts: previous.attempts };
      });
    }
  }

  /** Lines for the followed tasks, appended (never replaced) within one window; past the cap only the newest stay. */
  private addLogs(lines: TaskLogRow[], detailRooms: string[]): void {
    const followed = new Set(detailRooms.map((room) => room.slice('task:'.length)));
    const byTask = new Map<string, TaskLogRow[]>();
    for (const line of lines) {
      if (!followed.has(line.taskId)) continue;
      const list = byTask.get(line.taskId);
      if (list) list.push(line);
      else byTask.set(line.taskId, [line]);
    }
    const cap = (pending: PendingLogs): PendingLogs => {
      const over = pending.lines.length - MAX_LOG_LINES_PER_UPDATE;
      return over > 0 ? { taskId: pending.taskId, lines: pending.lines.slice(over), dropped: pending.dropped + over } : pending;
    };
    for (const [taskId, list] of byTask) {
      this.taskLogs.add(taskId, cap({ taskId, lines: list, dropped: 0 }), (previous, next) =>
        cap({ taskId, lines: [...previous.lines, ...next.lines], dropped: previous.dropped + next.dropped }),
      );
    }
  }

  private flushTasks(values: PendingTask[]): void {
    for (const [room, filter] of this.taskFilters) {
      if (!this.has(room)) continue;
      const matching = values.filter((pending) => matchesFilter(pending.row, filter));
      if (matching.length === 0) continue;
      const sent = matching.slice(-this.maxTasks);
      this.io.to(room).emit('tasks:update', { tasks: sent.map((pending) => taskSummary(pending.row, pending.at)), dropped: matching.length - sent.length });
    }
    for (const pending of values) {
      const room = `task:${pending.row.id}`;
      if (!this.has(room)) continue;
      this.io.to(room).emit('task:update', {
        task: taskDetail(pending.row, pending.at),
        attempts: [...pending.attempts.values()].sort((a, b) => a.attempt - b.attempt).map(toTaskAttempt),
      });
    }
  }

  private flushWorkers(values: WorkerSnapshot[]): void {
    const workers = values.map(workerSummary);
    if (this.has('workers')) this.io.to('workers').emit('workers:update', { workers });
    for (const worker of workers) {
      const room = `worker:${worker.hostname}`;
      if (this.has(room)) this.io.to(room).emit('worker:update', { worker });
    }
  }

  private async refreshQueues(): Promise<void> {
    if ((!this.deps.app && !this.deps.celery) || !this.has('queues')) return;
    const queues = await listQueues(this.deps.app, this.deps.celery);
    // The head's age grows every millisecond; only a change of the counts is news.
    const key = JSON.stringify(queues.map(({ oldestAgeMs: _age, ...rest }) => rest));
    if (key === this.sentQueues) return;
    this.sentQueues = key;
    this.io.to('queues').emit('queues:update', { queues });
  }

  private async refreshSchedules(): Promise<void> {
    if (!this.deps.schedules.available || !this.has('schedules')) return;
    const changed: Schedule[] = [];
    const seen = new Set<string>();
    for (const { cluster, schedules } of this.deps.schedules.all()) {
      for (const entry of await schedules.list()) {
        const schedule = scheduleOf(entry, cluster);
        const key = scheduleKey(schedule);
        seen.add(key);
        const json = JSON.stringify(schedule);
        if (this.sentSchedules.get(key) === json) continue;
        this.sentSchedules.set(key, json);
        changed.push(schedule);
      }
    }
    const removed = [...this.sentSchedules.entries()]
      .filter(([key]) => !seen.has(key))
      .map(([key, json]) => {
        this.sentSchedules.delete(key);
        const { name, cluster } = JSON.parse(json) as Schedule;
        return { name, cluster };
      });
    if (changed.length > 0 || removed.length > 0) this.io.to('schedules').emit('schedules:update', { schedules: changed, removed });
  }

  /** Disconnects sockets whose session ended or whose token was revoked or expired. */
  private async revalidate(): Promise<void> {
    for (const socket of this.io.of('/').sockets.values()) {
      try {
        if (!(await stillValid(socket.data.credentials, this.deps))) socket.disconnect(true);
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'live feed: checking a socket session failed');
      }
    }
  }
}

/** A schedule's identity across stores: its cluster (none for the gateway's own) and its name. */
function scheduleKey(schedule: { name: string; cluster: string | null }): string {
  return `${schedule.cluster ?? ''}\u0000${schedule.name}`;
}
