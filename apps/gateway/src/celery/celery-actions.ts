// Operator actions on a watched Celery cluster's tasks and workers, sent over
// its pidbox (the engine's CeleryControlBus, through CeleryCluster.call) in
// Celery's own method names, units and reply shapes ({ok} / {error}). The
// routes (actions/routes.ts) pick this path when the row's `cluster` is set,
// so the role checks and the audit are the same as for Lovage's workers.
import { randomUUID } from 'node:crypto';
import { toMs } from '@lovage/engine';
import { ConflictError, GatewayError, NotFoundError, ValidationError } from '../errors.js';
import type { ApplyOptions, WorkerControlBody } from '../actions/schemas.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { CeleryCluster } from './celery-cluster.js';

/** How long a command to one Celery worker waits for its reply. */
export const CELERY_CONTROL_TIMEOUT_MS = 3_000;
/** A revoke is a broadcast every worker keeps (Celery sends it without waiting); this only gives replies a moment. */
const REVOKE_WAIT_MS = 500;

/** Commands after which the worker's pool or queues changed: its stats are asked again. */
const CHANGES_STATS = new Set(['pool_grow', 'pool_shrink', 'autoscale', 'add_consumer', 'cancel_consumer']);
const POOL_COMMANDS = new Set(['pool_grow', 'pool_shrink', 'autoscale']);

const seconds = (value: number | string | null | undefined): number | null => (value === null || value === undefined ? null : toMs(value) / 1000);

/** How long the apply route waits for Celery workers to say which task names they know. */
const REGISTERED_TIMEOUT_MS = 1_000;

/** A stored task a retry re-sends. */
export interface RetriedRow {
  name: string;
  queue: string;
  priority: number | null;
}

/** A worker-control body as Celery's pidbox method and arguments (celery/worker/control.py). */
export function celeryCommand(body: WorkerControlBody): { method: string; arguments: Record<string, unknown> } {
  switch (body.command) {
    case 'pool_grow':
    case 'pool_shrink':
      return { method: body.command, arguments: { n: body.arguments?.n ?? 1 } };
    case 'autoscale':
      return { method: 'autoscale', arguments: { max: body.arguments.max, min: body.arguments.min } };
    case 'add_consumer':
    case 'cancel_consumer':
      return { method: body.command, arguments: { queue: body.arguments.queue } };
    case 'rate_limit':
      return { method: 'rate_limit', arguments: { task_name: body.arguments.task, rate_limit: body.arguments.rate } };
    case 'time_limit':
      return { method: 'time_limit', arguments: { task_name: body.arguments.task, soft: seconds(body.arguments.soft), hard: seconds(body.arguments.hard) } };
    case 'shutdown':
      return { method: 'shutdown', arguments: {} };
  }
}

/** A Celery queue as the monitor knows it; `history` holds per-minute counts of the last hour (epoch minutes). */
export interface CeleryQueue {
  cluster: string;
  name: string;
  ready: number;
  reserved: number;
  delayed: number;
  history: { minute: number; received: number; started: number }[];
}

const HELD_BY_QUEUE = `
SELECT queue,
       (count(*) FILTER (WHERE state = 'STARTED' OR eta IS NULL OR eta <= now()))::int AS reserved,
       (count(*) FILTER (WHERE state = 'RECEIVED' AND eta > now()))::int AS delayed
  FROM tasks
 WHERE cluster = $1 AND state IN ('RECEIVED', 'STARTED') AND queue = ANY($2::text[])
 GROUP BY queue`;

// Buckets are per queue name, not per cluster: a Lovage queue of the same name adds to them.
const RATES_BY_QUEUE = `
SELECT queue, (extract(epoch from minute) / 60)::float8 AS minute, sum(received)::int AS received, sum(started)::int AS started
  FROM metric_buckets
 WHERE queue = ANY($1::text[]) AND minute >= date_trunc('minute', now()) - interval '59 minutes'
 GROUP BY queue, minute
 ORDER BY minute`;

export class CeleryActions {
  private readonly byName: Map<string, CeleryCluster>;

  constructor(
    clusters: readonly CeleryCluster[],
    private readonly prisma: PrismaClient,
  ) {
    this.byName = new Map(clusters.map((cluster) => [cluster.name, cluster]));
  }

  private cluster(name: string): CeleryCluster {
    const cluster = this.byName.get(name);
    if (!cluster) throw new ConflictError(`the Celery cluster ${JSON.stringify(name)} is not watched by this gateway (LOVAGE_CELERY_BROKER_URL)`, 'CLUSTER_NOT_WATCHED');
    return cluster;
  }

  /** Revokes a task on every worker of `cluster`; with terminate the one running it kills it (SIGTERM). */
  async revoke(cluster: string, id: string, terminate: boolean): Promise<void> {
    await this.cluster(cluster).call('revoke', { task_id: [id], terminate, signal: 'SIGTERM' }, null, REVOKE_WAIT_MS);
  }

  /** Sends one command to one worker of `cluster` and returns its reply text. */
  async control(cluster: string, hostname: string, body: WorkerControlBody): Promise<string> {
    const target = this.cluster(cluster);
    const { method, arguments: args } = celeryCommand(body);
    const poolBefore = POOL_COMMANDS.has(method) ? ((await this.prisma.worker.findUnique({ where: { hostname } }))?.poolSize ?? null) : null;
    const replies = await target.call(method, args, [hostname], CELERY_CONTROL_TIMEOUT_MS);
    const reply = replies[hostname];
    // A worker asked to shut down does not answer (celery/worker/control.py raises WorkerShutdown).
    if (method === 'shutdown') return 'shutdown sent';
    if (reply === undefined) throw new GatewayError('WORKER_NO_REPLY', 504, `worker ${hostname} did not answer within ${CELERY_CONTROL_TIMEOUT_MS / 1000} s`);
    const answer = (reply ?? {}) as { ok?: unknown; error?: unknown };
    if (answer.error !== undefined) throw new ConflictError(`worker ${hostname} refused ${body.command}: ${typeof answer.error === 'string' ? answer.error : JSON.stringify(answer.error)}`, 'WORKER_REFUSED');
    if (CHANGES_STATS.has(method)) {
      // The row shows the new pool and queues once the worker says so; a failure here leaves the next periodic refresh to do it.
      await target.refreshStats([hostname]).catch(() => undefined);
      // The pool changes after the answer: its row (and the pages watching it) follow once it has;
      // if the worker stops answering meanwhile, the periodic refresh does it.
      if (POOL_COMMANDS.has(method)) void target.followPoolChange(hostname, poolBefore).catch(() => undefined);
    }
    return typeof answer.ok === 'string' ? answer.ok : JSON.stringify(answer.ok ?? reply);
  }

  /**
   * Sends a Celery task by name with JSON args and kwargs (protocol v2) onto
   * `options.queue`, else the queue the cluster last ran that task on, else
   * Celery's default `celery`. 404 when neither the store nor a worker knows the name.
   */
  async apply(cluster: string, task: string, args: unknown[], kwargs: Record<string, unknown>, options: ApplyOptions): Promise<{ id: string; queue: string }> {
    const target = this.cluster(cluster);
    const seen = await this.prisma.task.findFirst({ where: { name: task, cluster }, select: { queue: true }, orderBy: { createdAt: 'desc' } });
    if (!seen) {
      const registered = await target.call('registered', {}, null, REGISTERED_TIMEOUT_MS);
      if (!Object.values(registered).some((names) => Array.isArray(names) && names.some((n) => typeof n === 'string' && n.split(' ')[0] === task))) {
        throw new NotFoundError(`no task named ${JSON.stringify(task)} is known on the Celery cluster ${cluster}: no worker registers it and it never ran`);
      }
    }
    const now = Date.now();
    const eta = options.eta !== undefined ? new Date(options.eta) : options.countdown !== undefined ? new Date(now + toMs(options.countdown, 'countdown')) : undefined;
    let expires: Date | undefined;
    if (typeof options.expires === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(options.expires)) expires = new Date(options.expires);
    else if (options.expires !== undefined) expires = new Date((eta?.getTime() ?? now) + toMs(options.expires, 'expires'));
    if (eta !== undefined && expires !== undefined && expires <= eta) {
      throw new ValidationError('expires: must be after the time the task is due', 'expires', [{ path: 'body.options.expires', message: 'must be after the time the task is due' }]);
    }
    const id = options.taskId ?? randomUUID();
    const queue = options.queue ?? seen?.queue ?? 'celery';
    await target.publish({ id, task, args, kwargs, queue, eta, expires, priority: options.priority });
    return { id, queue };
  }

  /** The task names the live workers of one cluster register (Celery answers "name [rate_limit=...]"). */
  async registered(cluster: string): Promise<string[]> {
    const replies = await this.cluster(cluster).call('registered', {}, null, REGISTERED_TIMEOUT_MS);
    const names = new Set<string>();
    for (const listed of Object.values(replies)) {
      if (!Array.isArray(listed)) continue;
      for (const entry of listed) if (typeof entry === 'string' && entry.trim() !== '') names.add(entry.trim().split(' ')[0]!);
    }
    return [...names];
  }

  /** The watched clusters' names. */
  clusterNames(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * What re-sends a stored Celery task: its args and kwargs as JSON come from
   * the result backend, which keeps them only with `result_extended`; events
   * carry them as Python text, which cannot be sent again. 409 CELERY_TASK then,
   * unless the replay gives both args and kwargs itself.
   */
  async retrySender(
    cluster: string,
    id: string,
    row: RetriedRow,
    replay: { args?: unknown[] | undefined; kwargs?: Record<string, unknown> | undefined } = {},
  ): Promise<(newId: string) => Promise<void>> {
    const target = this.cluster(cluster);
    const meta = replay.args !== undefined && replay.kwargs !== undefined ? null : await target.resultOf(id);
    const args = replay.args ?? meta?.extended?.args;
    const kwargs = replay.kwargs ?? meta?.extended?.kwargs ?? {};
    if (!Array.isArray(args) || kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
      throw new ConflictError(
        `task ${id} ran on the Celery cluster ${cluster}: its events carry its arguments as Python text, and its result holds them as JSON only when the cluster sets result_extended = True; retry it from Python, or give args and kwargs to replay it`,
        'CELERY_TASK',
      );
    }
    const queue = meta?.extended?.queue ?? row.queue;
    return (newId) => target.publish({ id: newId, task: meta?.extended?.name ?? row.name, args, kwargs: kwargs as Record<string, unknown>, queue, priority: row.priority ?? undefined });
  }

  /** Empties a queue of `cluster`; 404 unless a worker of it consumes the queue or messages wait in it. */
  async purge(cluster: string, queue: string): Promise<number> {
    const target = this.cluster(cluster);
    const known = await target.queueDepths([queue]);
    const entry = known.find((q) => q.name === queue);
    const consumed = await this.prisma.worker.findFirst({ where: { cluster, queues: { has: queue } }, select: { hostname: true } });
    if (!consumed && (entry?.ready ?? 0) === 0) throw new NotFoundError(`no queue named ${JSON.stringify(queue)} on the Celery cluster ${cluster}: no worker consumes it and nothing waits in it`);
    return target.purge(queue);
  }

  /**
   * Each watched cluster's queues: depth from its broker; reserved (received
   * or started) and delayed (received, waiting for an ETA in a worker) from the
   * tasks the store holds; per-minute rates from the metric buckets.
   */
  async queues(): Promise<CeleryQueue[]> {
    const out: CeleryQueue[] = [];
    for (const [name, cluster] of this.byName) {
      const depths = await cluster.queueDepths();
      if (depths.length === 0) continue;
      const names = depths.map((d) => d.name);
      const [held, minutes] = await Promise.all([
        this.prisma.$queryRawUnsafe<{ queue: string; reserved: number; delayed: number }[]>(HELD_BY_QUEUE, name, names),
        this.prisma.$queryRawUnsafe<{ queue: string; minute: number; received: number; started: number }[]>(RATES_BY_QUEUE, names),
      ]);
      const heldBy = new Map(held.map((row) => [row.queue, row]));
      for (const depth of depths) {
        const history = minutes.filter((row) => row.queue === depth.name).map((row) => ({ minute: row.minute, received: row.received, started: row.started }));
        out.push({ cluster: name, name: depth.name, ready: depth.ready, reserved: heldBy.get(depth.name)?.reserved ?? 0, delayed: heldBy.get(depth.name)?.delayed ?? 0, history });
      }
    }
    return out;
  }
}
