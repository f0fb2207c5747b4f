// Retention: prunes the monitor's history in the background, in small batches,
// so the ingest and the API never wait long behind it.
//   tasks older than the retention (7 days by default), and the oldest tasks
//   beyond the row budget; their attempts and log lines go with them (ON DELETE CASCADE) and
//   schedule runs keep their row without the task link (SET NULL);
//   heartbeat samples and schedule runs older than the task retention;
//   workers offline for longer than the task retention;
//   metric buckets and queue depth samples older than the metric retention (90
//   days by default) are rolled up into hourly rows (see rollup.ts), which are
//   kept for the rollup retention (2 years by default);
//   alert notifications (alert_events) older than the alert retention (90 days
//   by default), except the firing row of an alert that still fires (the
//   Alerts page lists it, and its resolving notification quotes it).
// Each statement deletes at most `batchSize` rows picked through an index, and
// the loop pauses between statements, so no lock is held for long.
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { estimateTaskCount } from '../store/task-queries.js';
import { BackgroundLoop } from '../background-loop.js';
import { hourlyRetentionStatements, rollUpOldestHour, ROLLUPS } from './rollup.js';

export interface RetentionOptions {
  /** Task records (and heartbeat samples, schedule runs, offline workers) older than this are pruned. Default 7 days. */
  taskRetentionMs?: number;
  /** Keep at most this many tasks (the newest). Default 10,000,000. */
  maxTasks?: number;
  /** Metric buckets older than this are pruned. Default 90 days. */
  metricRetentionMs?: number;
  /** Hourly rollups of metric buckets and queue samples older than this are pruned. Default 730 days. */
  rollupRetentionMs?: number;
  /** Alert notifications (firing, resolved, test) older than this are pruned, unless still firing. Default 90 days. */
  alertRetentionMs?: number;
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
  /** Per-minute queue depth samples rolled up into hours. */
  queueSamples: number;
  /** Hourly rollup rows (metric buckets and queue samples) pruned past the rollup retention. */
  hourly: number;
  /** Alert notifications pruned past the alert retention. */
  alertEvents: number;
}

const DAY_MS = 86_400_000;

export class Retention {
  readonly taskRetentionMs: number;
  readonly maxTasks: number;
  readonly metricRetentionMs: number;
  readonly rollupRetentionMs: number;
  readonly alertRetentionMs: number;
  private readonly batchSize: number;
  private readonly pauseMs: number;
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    options: RetentionOptions = {},
  ) {
    this.taskRetentionMs = options.taskRetentionMs ?? 7 * DAY_MS;
    this.maxTasks = options.maxTasks ?? 10_000_000;
    this.metricRetentionMs = options.metricRetentionMs ?? 90 * DAY_MS;
    this.rollupRetentionMs = options.rollupRetentionMs ?? 730 * DAY_MS;
    this.alertRetentionMs = options.alertRetentionMs ?? 90 * DAY_MS;
    const intervalMs = options.intervalMs ?? 60_000;
    this.loop = new BackgroundLoop(() => this.runOnce(), logger, { intervalMs, firstDelayMs: Math.min(intervalMs, 5_000), what: 'retention' });
    this.batchSize = options.batchSize ?? 1_000;
    this.pauseMs = options.pauseMs ?? 20;
  }

  /** Runs a pass shortly after start, then every interval. */
  start(): void {
    this.loop.start();
  }

  /** Stops after the statement in flight. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private get stopped(): boolean {
    return this.loop.isStopped;
  }

  /** One full pass; returns how many rows of each kind it deleted. */
  async runOnce(now = Date.now()): Promise<RetentionReport> {
    const cutoff = new Date(now - this.taskRetentionMs);
    const report: RetentionReport = { tasks: 0, heartbeats: 0, scheduleRuns: 0, workers: 0, metricBuckets: 0, queueSamples: 0, hourly: 0, alertEvents: 0 };
    report.tasks += await this.drain(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, cutoff);
    const boundary = await this.budgetBoundary();
    if (boundary) {
      // Everything older than the newest `maxTasks` rows (ties at the boundary instant are kept).
      report.tasks += await this.drain(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, boundary);
    }
    report.heartbeats = await this.drain(`DELETE FROM worker_heartbeats WHERE id IN (SELECT id FROM worker_heartbeats WHERE at < $1 ORDER BY at LIMIT $2)`, cutoff);
    report.scheduleRuns = await this.drain(`DELETE FROM schedule_runs WHERE id IN (SELECT id FROM schedule_runs WHERE due_at < $1 ORDER BY due_at LIMIT $2)`, cutoff);
    report.workers = await this.drain(`DELETE FROM workers WHERE hostname IN (SELECT hostname FROM workers WHERE NOT online AND last_heartbeat < $1 LIMIT $2)`, cutoff);
    // Whole hours only: a minute row stays until its entire hour is past the retention.
    const rollupBefore = new Date(Math.floor((now - this.metricRetentionMs) / 3_600_000) * 3_600_000);
    report.metricBuckets = await this.rollUp(ROLLUPS.metricBuckets, rollupBefore);
    report.queueSamples = await this.rollUp(ROLLUPS.queueSamples, rollupBefore);
    for (const sql of hourlyRetentionStatements) report.hourly += await this.drain(sql, new Date(now - this.rollupRetentionMs));
    report.alertEvents = await this.drain(
      `DELETE FROM alert_events WHERE id IN (SELECT id FROM alert_events e WHERE at < $1
         AND NOT EXISTS (SELECT 1 FROM alert_states s WHERE s.event_id = e.id) ORDER BY at LIMIT $2)`,
      new Date(now - this.alertRetentionMs),
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

  /** Rolls up one hour at a time (each hour one statement) until no minute row before `before` is left. */
  private async rollUp(rollup: (typeof ROLLUPS)[keyof typeof ROLLUPS], before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const moved = await rollUpOldestHour(this.prisma, rollup, before);
      total += moved;
      if (moved === 0 || this.stopped) return total;
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
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
