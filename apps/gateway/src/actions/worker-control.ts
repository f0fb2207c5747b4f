// One worker-control command (pool grow and shrink, autoscale, consumers, rate
// and time limits, shutdown) sent to one worker, whichever API asked: the
// /api/v1 route and Flower's /api/worker/... and /api/task/{rate-limit,timeout}
// routes all come here. A worker of a watched Celery cluster gets the command
// over its cluster's pidbox; any other worker over the engine's control bus.
import type { ControlOk, Duration, Lovage, Replies } from '@lovage/engine';
import type { Role } from '../api/schemas.js';
import { roleAllows } from '../auth/principal.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import { ConflictError, ForbiddenError, GatewayError, NotFoundError } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { WorkerControlBody } from './schemas.js';

/** How long worker control waits for the worker's reply. */
export const CONTROL_TIMEOUT_MS = 3_000;

export const NO_ENGINE = 'this gateway has no Lovage app of its own (LOVAGE_BROKER_URL), only Celery clusters to act on';

export interface WorkerControlServices {
  app: Lovage | null;
  /** The watched Celery clusters' pidbox actions; null when none is watched. */
  celery: CeleryActions | null;
}

/** The worker's reply (e.g. "pool grown to 5"), and the Celery cluster it belongs to (null for a Lovage worker). */
export interface WorkerControlOutcome {
  reply: string;
  cluster: string | null;
}

export async function controlWorker(
  { app, celery }: WorkerControlServices,
  prisma: PrismaClient,
  hostname: string,
  body: WorkerControlBody,
  role: Role,
): Promise<WorkerControlOutcome> {
  if (body.command === 'shutdown' && !roleAllows(role, 'admin')) {
    throw new ForbiddenError(`shutting a worker down needs the admin role; you have ${role}`);
  }
  const row = await prisma.worker.findUnique({ where: { hostname }, select: { cluster: true, online: true } });
  if (row?.cluster != null && celery) {
    if (!row.online) throw new NotFoundError(`worker ${hostname} is offline`);
    return { reply: await celery.control(row.cluster, hostname, body), cluster: row.cluster };
  }
  if (!app) throw row ? new ConflictError(NO_ENGINE, 'NO_ENGINE') : new NotFoundError(`no worker named ${JSON.stringify(hostname)}`);
  const live = await app.control.workers();
  if (!live.some((worker) => worker.hostname === hostname)) {
    throw new NotFoundError(`no live worker named ${JSON.stringify(hostname)} (it stopped, or never ran)`);
  }
  const replies = await runCommand(app, hostname, body);
  const reply = replies[hostname];
  if (!reply) throw new GatewayError('WORKER_NO_REPLY', 504, `worker ${hostname} did not answer within ${CONTROL_TIMEOUT_MS / 1000} s`);
  if ('error' in reply) throw new ConflictError(`worker ${hostname} refused ${body.command}: ${reply.error}`, 'WORKER_REFUSED');
  return { reply: reply.ok, cluster: null };
}

async function runCommand(app: Lovage, hostname: string, body: WorkerControlBody): Promise<Replies<ControlOk>> {
  const options = { destination: hostname, timeout: CONTROL_TIMEOUT_MS };
  switch (body.command) {
    case 'pool_grow':
      return app.control.poolGrow(body.arguments?.n ?? 1, options);
    case 'pool_shrink':
      return app.control.poolShrink(body.arguments?.n ?? 1, options);
    case 'add_consumer':
      return app.control.addConsumer(body.arguments.queue, options);
    case 'cancel_consumer':
      return app.control.cancelConsumer(body.arguments.queue, options);
    case 'rate_limit':
      return app.control.rateLimit(body.arguments.task, body.arguments.rate, options);
    case 'time_limit':
      return app.control.timeLimit(
        body.arguments.task,
        { soft: body.arguments.soft as Duration | null | undefined, hard: body.arguments.hard as Duration | null | undefined },
        options,
      );
    case 'shutdown':
      return app.control.shutdown(options);
    case 'autoscale':
      throw new ConflictError(`worker ${hostname} is a Lovage worker: autoscale applies to Celery workers started with --autoscale`, 'NOT_SUPPORTED');
  }
}
