// The services behind the operator actions, made once per gateway: task
// actions, the bulk-job runner, and the forwarding of schedule edits onto the
// event stream (so the ingest records who changed which schedule).
import type { Lovage } from '@lovage/engine';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { BulkJobs } from './bulk-jobs.js';
import type { ActionServices } from './routes.js';
import type { CeleryActions } from '../celery/celery-actions.js';
import { TaskActions } from './task-actions.js';
import { WorkflowActions, type WorkflowRetrier } from './workflow-actions.js';

export class Actions implements ActionServices {
  readonly tasks: TaskActions;
  readonly workflows: WorkflowActions;
  readonly jobs: BulkJobs;
  private readonly stopForwarding: () => void;

  readonly celery: CeleryActions | null;

  constructor(
    readonly app: Lovage,
    deps: { prisma: PrismaClient; audit: AuditLog; logger: Logger; workflows?: WorkflowRetrier | undefined; celery?: CeleryActions | null },
  ) {
    this.celery = deps.celery ?? null;
    this.tasks = new TaskActions(app, deps.prisma, this.celery);
    // The engine's canvas API; a given retrier (tests, embedders) overrides it.
    this.workflows = new WorkflowActions(deps.workflows ?? app.workflows, deps.prisma);
    this.jobs = new BulkJobs({ app, prisma: deps.prisma, tasks: this.tasks, audit: deps.audit, logger: deps.logger });
    // Edits made through app.schedules announce themselves only to its sinks; beat's
    // own events reach the stream through app.beat(). The ingest turns these into schedule_changes rows.
    this.stopForwarding = app.schedules.onEvent(app.events.beatSink());
  }

  async close(): Promise<void> {
    this.stopForwarding();
    await this.jobs.close();
  }
}
