// GET /schedules and /schedules/:id: the schedule store beat and the dashboard
// share (through the engine's `app.schedules`), plus each schedule's run
// history and edit audit from the database (the ingest writes both from beat's
// schedule-fired and schedule-changed events).
import type { Lovage } from '@lovage/engine';
import { GatewayError, NotFoundError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { ScheduleDetailSchema, ScheduleListSchema, ScheduleParamsSchema, type ScheduleRun } from './schemas.js';

const HISTORY = 50;

class NoEngineError extends GatewayError {
  constructor() {
    super('NO_ENGINE', 404, 'This gateway has no engine app: schedules live in the broker it does not know');
  }
}

interface StoredRun {
  dueAt: Date;
  firedAt: Date | null;
  taskId: string | null;
  task: { state: ScheduleRun['taskState']; runtime: number | null } | null;
}

function toScheduleRun(run: StoredRun): ScheduleRun {
  return {
    dueAt: run.dueAt.toISOString(),
    firedAt: run.firedAt?.toISOString() ?? null,
    taskId: run.taskId,
    taskState: run.task?.state ?? null,
    runtime: run.task?.runtime ?? null,
  };
}

export function registerScheduleRoutes(registrar: RouteRegistrar, engine: Lovage | null): void {
  const prisma = registrar.app.database.prisma;

  defineRoute(registrar, {
    method: 'GET',
    url: '/schedules',
    summary: 'Every schedule in the store, by name',
    tag: 'schedules',
    access: 'viewer',
    response: ScheduleListSchema,
    async handler() {
      if (!engine) return { available: false, schedules: [], lastRuns: {} };
      const entries = await engine.schedules.list();
      // One indexed lookup per schedule (schedule_name, due_at): there are tens of schedules, not thousands.
      const latest = await Promise.all(
        entries.map((entry) =>
          prisma.scheduleRun.findFirst({
            where: { scheduleName: entry.name },
            orderBy: { dueAt: 'desc' },
            include: { task: { select: { state: true, runtime: true } } },
          }),
        ),
      );
      const lastRuns: Record<string, ScheduleRun> = {};
      for (const run of latest) if (run) lastRuns[run.scheduleName] = toScheduleRun(run);
      return { available: true, schedules: entries.sort((a, b) => a.name.localeCompare(b.name)), lastRuns };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/schedules/:id',
    summary: 'One schedule with its next run times, its last runs and its edit history',
    tag: 'schedules',
    access: 'viewer',
    params: ScheduleParamsSchema,
    response: ScheduleDetailSchema,
    async handler({ params }) {
      if (!engine) throw new NoEngineError();
      const entry = await engine.schedules.get(params.id);
      if (!entry) throw new NotFoundError(`No schedule ${params.id}`);
      const [nextRuns, runs, changes] = await Promise.all([
        engine.schedules.nextRuns(params.id, 5),
        prisma.scheduleRun.findMany({
          where: { scheduleName: params.id },
          orderBy: { dueAt: 'desc' },
          take: HISTORY,
          include: { task: { select: { state: true, runtime: true } } },
        }),
        prisma.scheduleChange.findMany({ where: { scheduleName: params.id }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: HISTORY }),
      ]);
      return {
        schedule: entry,
        nextRuns: nextRuns.map((date) => date.toISOString()),
        runs: runs.map(toScheduleRun),
        changes: changes.map((change) => ({ action: change.action, actor: change.actor, at: change.at.toISOString(), before: change.before ?? null, after: change.after ?? null })),
      };
    },
  });
}
