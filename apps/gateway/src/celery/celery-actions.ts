// Operator actions on a watched Celery cluster's tasks and workers, sent over
// its pidbox (the engine's CeleryControlBus, through CeleryCluster.call) in
// Celery's own method names, units and reply shapes ({ok} / {error}). The
// routes (actions/routes.ts) pick this path when the row's `cluster` is set,
// so the role checks and the audit are the same as for Lovage's workers.
import { ConflictError, GatewayError } from '../errors.js';
import type { WorkerControlBody } from '../actions/schemas.js';
import type { CeleryCluster } from './celery-cluster.js';

/** How long a command to one Celery worker waits for its reply. */
export const CELERY_CONTROL_TIMEOUT_MS = 3_000;
/** A revoke is a broadcast every worker keeps (Celery sends it without waiting); this only gives replies a moment. */
const REVOKE_WAIT_MS = 500;

/** Commands after which the worker's pool or queues changed: its stats are asked again. */
const CHANGES_STATS = new Set(['pool_grow', 'pool_shrink', 'autoscale', 'add_consumer', 'cancel_consumer']);

const seconds = (value: number | string | null | undefined): number | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value / 1000;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value);
  if (!match) return null;
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * factor;
};

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

export class CeleryActions {
  private readonly byName: Map<string, CeleryCluster>;

  constructor(clusters: readonly CeleryCluster[]) {
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
    const replies = await target.call(method, args, [hostname], CELERY_CONTROL_TIMEOUT_MS);
    const reply = replies[hostname];
    // A worker asked to shut down does not answer (celery/worker/control.py raises WorkerShutdown).
    if (method === 'shutdown') return 'shutdown sent';
    if (reply === undefined) throw new GatewayError('WORKER_NO_REPLY', 504, `worker ${hostname} did not answer within ${CELERY_CONTROL_TIMEOUT_MS / 1000} s`);
    const answer = (reply ?? {}) as { ok?: unknown; error?: unknown };
    if (answer.error !== undefined) throw new ConflictError(`worker ${hostname} refused ${body.command}: ${String(answer.error)}`, 'WORKER_REFUSED');
    if (CHANGES_STATS.has(method)) {
      // The row shows the new pool and queues once the worker says so; a failure here leaves the next periodic refresh to do it.
      await target.refreshStats([hostname]).catch(() => undefined);
    }
    return typeof answer.ok === 'string' ? answer.ok : JSON.stringify(answer.ok ?? reply);
  }
}
