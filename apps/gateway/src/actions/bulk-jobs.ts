// Bulk retry and revoke run as background jobs: the request answers at once
// with a job id, the job works through its targets in chunks, and every chunk
// updates the job's progress (GET /jobs/:id, and the live feed's `jobs` room).
//
// The gateway that started a job runs it; every progress snapshot is written to
// the bulk_jobs table, so any gateway replica answers GET /jobs for it. A job
// whose gateway died stays `running` there (the audit log keeps who started
// each one and how it ended). Only the most recent MAX_KEPT finished jobs are kept.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Lovage } from '@lovage/engine';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { actorName } from '../auth/principal.js';
import { GatewayError } from '../errors.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { BULK_MAX_TASKS, type BulkJob, type TaskFilter } from './schemas.js';
import { FINISHED_STATES, RETRIABLE_STATES, type TaskActions, type TaskStateName } from './task-actions.js';

const MAX_KEPT = 100;
const MAX_ERRORS = 50;
const REVOKE_CHUNK = 500;

export type BulkAction = 'retry' | 'revoke';

export interface BulkRequest {
  action: BulkAction;
  ids?: string[] | undefined;
  filter?: TaskFilter | undefined;
  terminate: boolean;
}

/** The tasks a filter selects, restricted to the states the action applies to. */
export function filterWhere(filter: TaskFilter, action: BulkAction): Prisma.TaskWhereInput {
  const where: Prisma.TaskWhereInput = {};
  const wanted = filter.state === undefined ? undefined : Array.isArray(filter.state) ? filter.state : [filter.state];
  const applicable: TaskStateName[] =
    action === 'retry' ? [...RETRIABLE_STATES] : (['PENDING', 'RECEIVED', 'STARTED', 'RETRY'] satisfies TaskStateName[]);
  where.state = { in: wanted ? applicable.filter((state) => wanted.includes(state)) : applicable };
  if (action === 'retry') where.retriedIntoId = null;
  if (filter.name) where.name = filter.name;
  if (filter.worker) where.worker = filter.worker;
  if (filter.queue) where.queue = filter.queue;
  if (filter.since || filter.until) {
    where.createdAt = { ...(filter.since ? { gte: new Date(filter.since) } : {}), ...(filter.until ? { lt: new Date(filter.until) } : {}) };
  }
  return where;
}

export class BulkJobs {
  private readonly running = new Set<Promise<void>>();
  private readonly listeners = new Set<(job: BulkJob) => void>();
  /** Per running job, the last write of its snapshot: writes of one job stay in order. */
  private readonly saving = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: { app: Lovage; prisma: PrismaClient; tasks: TaskActions; audit: AuditLog; logger: Logger },
  ) {}

  /** Called with a snapshot of a job whenever its progress or state changes. */
  onChange(listener: (job: BulkJob) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async get(id: string): Promise<BulkJob | undefined> {
    const row = await this.deps.prisma.bulkJob.findUnique({ where: { id } });
    return row ? (row.body as BulkJob) : undefined;
  }

  /** Newest first. */
  async list(): Promise<BulkJob[]> {
    const rows = await this.deps.prisma.bulkJob.findMany({ orderBy: { createdAt: 'desc' }, take: MAX_KEPT });
    return rows.map((row) => row.body as BulkJob);
  }

  /** Creates the job (stored before this returns) and starts it in the background; returns its first snapshot. */
  async start(request: BulkRequest, principal: Principal, ip: string | null): Promise<BulkJob> {
    if (this.closed) throw new GatewayError('SHUTTING_DOWN', 503, 'the gateway is shutting down');
    const job: BulkJob = {
      id: randomUUID(),
      kind: `tasks.${request.action}`,
      state: 'running',
      createdBy: actorName(principal),
      createdAt: new Date().toISOString(),
      finishedAt: null,
      total: request.ids?.length ?? 0,
      done: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      errors: [],
      error: null,
    };
    await this.deps.prisma.bulkJob.create({ data: { id: job.id, createdAt: new Date(job.createdAt), state: job.state, body: job } });
    await this.prune();
    const run = this.run(job, request)
      .catch((error: unknown) => {
        job.state = 'failed';
        job.error = error instanceof Error ? error.message : String(error);
        this.deps.logger.error({ err: error, job: job.id }, 'bulk job failed');
      })
      .finally(async () => {
        job.finishedAt = new Date().toISOString();
        if (job.state === 'running') job.state = 'succeeded';
        this.changed(job);
        await this.saving.get(job.id);
        this.saving.delete(job.id);
        await this.deps.audit.record({
          principal,
          action: `${job.kind}.bulk_finished`,
          target: job.id,
          params: { total: job.total, succeeded: job.succeeded, failed: job.failed, skipped: job.skipped },
          outcome: job.state === 'succeeded' && job.failed === 0 ? 'ok' : 'failed',
          error: job.state === 'failed' ? 'JOB_FAILED' : job.failed > 0 ? 'SOME_TARGETS_FAILED' : null,
          ip,
        });
        this.running.delete(run);
      });
    this.running.add(run);
    this.changed(job);
    return structuredClone(job);
  }

  /** Stops taking jobs; running ones stop after the target in hand (marked failed) and are waited for. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }

  private changed(job: BulkJob): void {
    const snapshot = structuredClone(job);
    const previous = this.saving.get(job.id) ?? Promise.resolve();
    this.saving.set(
      job.id,
      previous.then(() =>
        this.deps.prisma.bulkJob.update({ where: { id: job.id }, data: { state: snapshot.state, body: snapshot } }).then(
          () => undefined,
          (error: unknown) => this.deps.logger.warn({ err: error, job: job.id }, 'bulk job: saving progress failed'),
        ),
      ),
    );
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.deps.logger.error({ err: error }, 'bulk job listener failed');
      }
    }
  }

  /** Keeps the newest MAX_KEPT jobs; running ones are never deleted. */
  private async prune(): Promise<void> {
    await this.deps.prisma.$executeRaw`
      DELETE FROM bulk_jobs WHERE state <> 'running'
        AND id NOT IN (SELECT id FROM bulk_jobs ORDER BY created_at DESC LIMIT ${MAX_KEPT})`;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the gateway shut down before the job finished');
  }

  private note(job: BulkJob, id: string, code: string, message: string): void {
    if (job.errors.length < MAX_ERRORS) job.errors.push({ id, code, message });
  }

  private async run(job: BulkJob, request: BulkRequest): Promise<void> {
    let ids = request.ids;
    if (!ids) {
      const rows = await this.deps.prisma.task.findMany({
        where: filterWhere(request.filter ?? {}, request.action),
        select: { id: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: BULK_MAX_TASKS,
      });
      ids = rows.map((row) => row.id);
    }
    ids = [...new Set(ids)];
    job.total = ids.length;
    this.changed(job);
    if (request.action === 'revoke') await this.revokeAll(job, ids, request.terminate);
    else await this.retryAll(job, ids);
  }

  private async revokeAll(job: BulkJob, ids: string[], terminate: boolean): Promise<void> {
    for (let i = 0; i < ids.length; i += REVOKE_CHUNK) {
      this.checkOpen();
      const chunk = ids.slice(i, i + REVOKE_CHUNK);
      const rows = await this.deps.prisma.task.findMany({ where: { id: { in: chunk } }, select: { id: true, state: true } });
      const states = new Map(rows.map((row) => [row.id, row.state]));
      const revocable: string[] = [];
      for (const id of chunk) {
        const state = states.get(id);
        if (state === undefined) {
          job.skipped++;
          this.note(job, id, 'NOT_FOUND', 'no such task');
        } else if (FINISHED_STATES.includes(state)) {
          job.skipped++;
          this.note(job, id, 'TASK_FINISHED', `already ${state}`);
        } else revocable.push(id);
      }
      if (revocable.length > 0) {
        try {
          await this.deps.app.control.revoke(revocable, { terminate });
          job.succeeded += revocable.length;
        } catch (error) {
          job.failed += revocable.length;
          for (const id of revocable) this.note(job, id, 'REVOKE_FAILED', error instanceof Error ? error.message : String(error));
        }
      }
      job.done += chunk.length;
      this.changed(job);
    }
  }

  private async retryAll(job: BulkJob, ids: string[]): Promise<void> {
    let lastReport = Date.now();
    for (const id of ids) {
      this.checkOpen();
      try {
        await this.deps.tasks.retry(id);
        job.succeeded++;
      } catch (error) {
        if (error instanceof GatewayError && (error.statusCode === 404 || error.statusCode === 409)) {
          job.skipped++;
          this.note(job, id, error.code, error.message);
        } else {
          job.failed++;
          this.note(job, id, error instanceof GatewayError ? error.code : 'RETRY_FAILED', error instanceof Error ? error.message : String(error));
        }
      }
      job.done++;
      // Progress at most every 100 ms: the live feed coalesces anyway, but cloning a snapshot per task is waste.
      if (Date.now() - lastReport >= 100) {
        lastReport = Date.now();
        this.changed(job);
      }
    }
  }
}
