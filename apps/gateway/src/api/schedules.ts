// GET /schedules and /schedules/:id: the schedule stores beat and the dashboard
// share (the engine's `app.schedules`, and each watched Celery cluster's beat's:
// see schedule-sources.ts), plus each of the gateway's own schedules' run history
// and edit audit from the database (the ingest writes both from beat's
// schedule-fired and schedule-changed events, which it reads from its own broker only).
import { NotFoundError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { scheduleOf, type ScheduleSources } from './schedule-sources.js';
import { ScheduleClusterQuerySchema, ScheduleDetailSchema, ScheduleListSchema, ScheduleParamsSchema, type Schedule, type ScheduleRun } from './schemas.js';

const HISTORY = 50;

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

export function registerScheduleRoutes(registrar: RouteRegistrar, sources: ScheduleSources): void {
  const prisma = registrar.app.database.prisma;

  defineRoute(registrar, {
    method: 'GET',
    url: '/schedules',
    summary: "Every schedule in the store, by name: the gateway's own, then each watched Celery cluster's beat's (each with its `cluster`)",
    tag: 'schedules',
    access: 'viewer',
    response: ScheduleListSchema,
    async handler() {
      if (!sources.available) return { available: false, schedules: [], lastRuns: {} };
      const schedules: Schedule[] = [];
      for (const { cluster, schedules: store } of sources.all()) {
        const entries = (await store.list()).sort((a, b) => a.name.localeCompare(b.name));
        schedules.push(...entries.map((entry) => scheduleOf(entry, cluster)));
      }
      // One indexed lookup per schedule (schedule_name, due_at): there are tens of schedules, not thousands.
      const latest = await Promise.all(
        schedules
          .filter((schedule) => schedule.cluster === null)
          .map((schedule) =>
            prisma.scheduleRun.findFirst({
              where: { scheduleName: schedule.name },
              orderBy: { dueAt: 'desc' },
              include: { task: { select: { state: true, runtime: true } } },
            }),
          ),
      );
      const lastRuns: Record<string, ScheduleRun> = {};
      for (const run of latest) if (run) lastRuns[run.scheduleName] = toScheduleRun(run);
      return { available: true, schedules, lastRuns };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/schedules/:id',
    summary: "One schedule with its next run times, its last runs and its edit history (?cluster= for a Celery cluster's beat's, whose runs and edits the monitor does not record)",
    tag: 'schedules',
    access: 'viewer',
    params: ScheduleParamsSchema,
    query: ScheduleClusterQuerySchema,
    response: ScheduleDetailSchema,
    async handler({ params, query }) {
      const store = sources.of(query.cluster);
      const entry = await store.get(params.id);
      if (!entry) throw new NotFoundError(`No schedule ${params.id}${query.cluster ? ` on the Celery cluster ${query.cluster}` : ''}`);
      const own = query.cluster === undefined;
      const [nextRuns, runs, changes] = await Promise.all([
        store.nextRuns(params.id, 5),
        own
          ? prisma.scheduleRun.findMany({
              where: { scheduleName: params.id },
              orderBy: { dueAt: 'desc' },
              take: HISTORY,
              include: { task: { select: { state: true, runtime: true } } },
            })
          : [],
        own ? prisma.scheduleChange.findMany({ where: { scheduleName: params.id }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: HISTORY }) : [],
      ]);
      return {
        schedule: scheduleOf(entry, query.cluster ?? null),
        nextRuns: nextRuns.map((date) => date.toISOString()),
        runs: runs.map(toScheduleRun),
        changes: changes.map((change) => ({ action: change.action, actor: change.actor, at: change.at.toISOString(), before: change.before ?? null, after: change.after ?? null })),
      };
    },
  });
}
