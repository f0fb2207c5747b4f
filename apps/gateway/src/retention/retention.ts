// Retention: prunes the monitor's history in the background, in small batches,
// so the ingest and the API never wait long behind it.
//   tasks older than the retention (7 days by default), and the oldest tasks
//   beyond the row budget; their attempts and log lines go with them (ON DELETE CASCADE) and
//   schedule runs keep their row without the task link (SET NULL);
//   heartbeat samples and schedule runs older than the task retention;
//   workers offline for longer than the task retention;
//   metric buckets older than the metric retention (90 days by default).
// Each statement deletes at most `batchSize` rows picked through an index, and
// the loop pauses between statements, so no lock is held for long.
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { estimateTaskCount } from '../store/task-queries.js';

export interface RetentionOptions {
  /** Task records (and heartbeat samples, schedule runs, offline workers) older than this are pruned. Default 7 days. */
  taskRetentionMs?: number;
  /** Keep at most this many tasks (the newest). Default 10,000,000. */
  maxTasks?: number;
  /** Metric buckets older than this are pruned. Default 90 days. */
  metricRetentionMs?: number;
  /** Time between passes. Default 60 s (the first pass runs soon after start). */
  intervalMs?: number;
  /** Rows per delete statement. Default 1,000. */
  batchSize?: number;
  /** Pause between two statements, ms. Default 20. */
  pauseMs?: number;
}

export interface RetentionReport {
  tasks: number;
  heartbeats: number;
  scheduleRuns: number;
  workers: number;
  metricBuckets: number;
}

const DAY_MS = 86_400_000;

export class Retention {
  readonly taskRetentionMs: number;
  readonly maxTasks: number;
  readonly metricRetentionMs: number;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    options: RetentionOptions = {},
  ) {
    this.taskRetentionMs = options.taskRetentionMs ?? 7 * DAY_MS;
    this.maxTasks = options.maxTasks ?? 10_000_000;
    this.metricRetentionMs = options.metricRetentionMs ?? 90 * DAY_MS;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.batchSize = options.batchSize ?? 1_000;
    this.pauseMs = options.pauseMs ?? 20;
  }

  /** Runs a pass shortly after start, then every interval. */
  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'retention: a pass failed; the next one retries'))
          .finally(() => {
            this.running = undefined;
            if (!this.stopped) schedule(this.intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    schedule(Math.min(this.intervalMs, 5_000));
  }

  /** Stops after the statement in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One full pass; returns how many rows of each kind it deleted. */
  async runOnce(now = Date.now()): Promise<RetentionReport> {
    const cutoff = new Date(now - this.taskRetentionMs);
    const report: RetentionReport = { tasks: 0, heartbeats: 0, scheduleRuns: 0, workers: 0, metricBuckets: 0 };
    report.tasks += await this.drain(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, cutoff);
    const boundary = await this.budgetBoundary();
    if (boundary) {
      // Everything older than the newest `maxTasks` rows (ties at the boundary instant are kept).
      report.tasks += await this.drain(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, boundary);
    }
    report.heartbeats = await this.drain(`DELETE FROM worker_heartbeats WHERE id IN (SELECT id FROM worker_heartbeats WHERE at < $1 ORDER BY at LIMIT $2)`, cutoff);
    report.scheduleRuns = await this.drain(`DELETE FROM schedule_runs WHERE id IN (SELECT id FROM schedule_runs WHERE due_at < $1 ORDER BY due_at LIMIT $2)`, cutoff);
    report.workers = await this.drain(`DELETE FROM workers WHERE hostname IN (SELECT hostname FROM workers WHERE NOT online AND last_heartbeat < $1 LIMIT $2)`, cutoff);
    report.metricBuckets = await this.drain(
      `DELETE FROM metric_buckets WHERE (minute, task_name, queue) IN
         (SELECT minute, task_name, queue FROM metric_buckets WHERE minute < $1 ORDER BY minute LIMIT $2)`,
      new Date(now - this.metricRetentionMs),
    );
    if (Object.values(report).some((n) => n > 0)) this.logger.info({ report, cutoff }, 'retention: pruned old records');
    return report;
  }

  /** The creation time before which tasks exceed the row budget, or null within budget. */
  private async budgetBoundary(): Promise<Date | null> {
    if ((await estimateTaskCount(this.prisma)) <= this.maxTasks) return null;
    const rows = await this.prisma.$queryRawUnsafe<{ created_at: Date }[]>(
      `SELECT created_at FROM tasks ORDER BY created_at DESC OFFSET $1 LIMIT 1`,
      this.maxTasks - 1,
    );
    return rows[0]?.created_at ?? null;
  }

  /** Repeats a bounded delete until it deletes fewer rows than a batch (or retention stops). */
  private async drain(sql: string, before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.prisma.$executeRawUnsafe(sql, before, this.batchSize);
      total += deleted;
      if (deleted < this.batchSize || this.stopped) return total;
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }
}
