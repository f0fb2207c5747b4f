// The read API (/api/v1) against a real Postgres filled through the ingest's
// own writer, and a real Redis broker for queues, dead letters and schedules.
import type { LovageEvent } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import type { TaskDetail, TaskFacets, TaskPage, TaskSummary, Throughput, Overview, WorkerDetail, WorkerList, QueueList, DeadLetterList, ScheduleList, ScheduleDetail } from '../src/api/schemas.js';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { bucketOf, emptyHistogram } from '../src/ingest/runtime-histogram.js';
import type { Gateway } from '../src/server.js';
import { engineHarness, producer } from './ingest-support.js';
import { Client, errorOf, signedIn, startGateway } from './support.js';

const NOW = Date.now();
// Whole minutes, so heartbeat samples (10 s) and metric buckets (1 min) line up with the seed's offsets.
const T0 = Math.floor((NOW - 30 * 60_000) / 60_000) * 60_000;

const heartbeat = (processed: number) => ({
  queues: ['default', 'mail'],
  pool: { kind: 'async', size: 8 },
  software: { name: 'lovage', version: '0.1.0' },
  active: 1,
  reserved: 0,
  processed,
  succeeded: processed,
  failed: 0,
  retried: 0,
  loadavg: [0.1, 0.2, 0.3],
  rss: 64_000_000,
  uptime: 5,
  heartbeatInterval: 2_000,
});

/** 60 tasks over 60 seconds: names, queues, workers and outcomes in a known pattern. */
function seedEvents(): LovageEvent[] {
  const client = producer('client', 1, T0);
  const workerA = producer('worker-a', 2, T0);
  const workerB = producer('worker-b', 3, T0);
  const events: LovageEvent[] = [];
  for (let i = 0; i < 60; i++) {
    const id = `task-${String(i).padStart(3, '0')}`;
    const name = i % 3 === 0 ? 'mail.send' : 'report.build';
    const queue = i % 3 === 0 ? 'mail' : 'default';
    const worker = i % 2 === 0 ? workerA : workerB;
    const at = i * 1_000;
    const fields = { id, name, queue, retries: 0, ...(i > 0 && i % 10 === 0 ? { parentId: 'task-000', rootId: 'task-000' } : {}) };
    events.push(client({ type: 'task-sent', ...fields, args: JSON.stringify([i, `user${i}@example.com`]), priority: 0 }, at));
    events.push(worker({ type: 'task-received', ...fields, args: JSON.stringify([i, `user${i}@example.com`]), deliveries: 1 }, at + 10));
    events.push(worker({ type: 'task-started', ...fields }, at + 20));
    if (i % 7 === 6) {
      events.push(worker({ type: 'task-failed', ...fields, runtime: 30, error: { name: 'QuotaExceeded', message: `mailbox full for user${i}`, stack: 'QuotaExceeded: mailbox full\n    at send' } }, at + 50));
    } else if (i % 11 === 5) {
      events.push(worker({ type: 'task-retried', ...fields, attempt: 1, error: { name: 'Timeout', message: 'slow smtp' }, nextEta: T0 + at + 500 }, at + 40));
      events.push(worker({ type: 'task-started', ...fields, retries: 1 }, at + 520));
      events.push(worker({ type: 'task-succeeded', ...fields, retries: 1, runtime: 80, result: JSON.stringify({ sent: i }) }, at + 600));
    } else {
      events.push(worker({ type: 'task-succeeded', ...fields, runtime: 20 + i, result: JSON.stringify({ sent: i }) }, at + 40 + i));
    }
  }
  events.push(workerA({ type: 'worker-online', ...heartbeat(0) }, 0));
  events.push(workerA({ type: 'worker-heartbeat', ...heartbeat(30) }, 30_000));
  events.push(workerA({ type: 'worker-heartbeat', ...heartbeat(60) }, 60_000));
  events.push(workerB({ type: 'worker-offline', ...heartbeat(30) }, 61_000));
  return events;
}

async function getJson<T>(client: Client, path: string): Promise<T> {
  const response = await client.request('GET', path);
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function allPages(client: Client, query: string, limit: number): Promise<TaskSummary[]> {
  const rows: TaskSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: TaskPage = await getJson<TaskPage>(client, `/api/v1/tasks?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.tasks.length).toBeLessThanOrEqual(limit);
    rows.push(...page.tasks);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

async function withSeededGateway(url: string, fn: (gateway: Gateway, viewer: Client) => Promise<void>): Promise<void> {
  // No engine app: nothing ingests or sweeps workers offline, so the seeded rows stay as written.
  const gateway = await startGateway(url);
  try {
    await applyBatch(gateway.prisma, seedEvents());
    const viewer = await signedIn(gateway, 'viewer');
    await fn(gateway, viewer);
  } finally {
    await gateway.close();
  }
}

describe('read API', () => {
  postgresTest('lists tasks newest first with every filter, and pages through all of them without gaps or repeats', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (_gateway, viewer) => {
      const all = await allPages(viewer, 'since=' + encodeURIComponent(new Date(T0 - 1).toISOString()), 7);
      expect(all).toHaveLength(60);
      expect(new Set(all.map((t) => t.id)).size).toBe(60);
      expect(all.map((t) => t.id)).toEqual(Array.from({ length: 60 }, (_, i) => `task-${String(59 - i).padStart(3, '0')}`));

      const failed = await getJson<TaskPage>(viewer, '/api/v1/tasks?state=FAILURE');
      expect(failed.tasks.map((t) => t.id).sort()).toEqual(['task-006', 'task-013', 'task-020', 'task-027', 'task-034', 'task-041', 'task-048', 'task-055']);
      expect(failed.tasks[0]).toMatchObject({ state: 'FAILURE', errorName: 'QuotaExceeded' });
      const twoStates = await allPages(viewer, 'state=FAILURE,RETRY,SUCCESS', 50);
      expect(twoStates).toHaveLength(60);

      const mail = await allPages(viewer, 'name=mail.send', 5);
      expect(mail).toHaveLength(20);
      expect(mail.every((t) => t.name === 'mail.send' && t.queue === 'mail')).toBe(true);
      expect(await allPages(viewer, 'queue=mail&worker=worker-a', 50)).toHaveLength(10);
      expect((await allPages(viewer, 'worker=worker-b&state=SUCCESS', 50)).every((t) => t.worker === 'worker-b' && t.state === 'SUCCESS')).toBe(true);

      // Full text over args, result and error.
      expect((await getJson<TaskPage>(viewer, '/api/v1/tasks?q=user17%40example.com')).tasks.map((t) => t.id)).toEqual(['task-017']);
      expect((await getJson<TaskPage>(viewer, '/api/v1/tasks?q=mailbox%20full%20user41')).tasks.map((t) => t.id)).toEqual(['task-041']);
      expect((await getJson<TaskPage>(viewer, '/api/v1/tasks?q=nothing-like-this')).tasks).toEqual([]);

      // Time range: [since, until) over creation time.
      const window = await allPages(viewer, `since=${encodeURIComponent(new Date(T0 + 10_000).toISOString())}&until=${encodeURIComponent(new Date(T0 + 20_000).toISOString())}`, 3);
      expect(window.map((t) => t.id)).toEqual(Array.from({ length: 10 }, (_, i) => `task-${String(19 - i).padStart(3, '0')}`));
      const first = all.find((t) => t.id === 'task-012')!;
      expect(first).toMatchObject({ args: [12, 'user12@example.com'], resultPreview: '{"sent":12}', worker: 'worker-a', retries: 0, runtime: 0.032, priority: 0 });
    });
  });

  postgresTest('answers 400 naming the field for every bad list parameter', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (_gateway, viewer) => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['limit=ten', 'limit'],
        ['state=FINISHED', 'state'],
        ['state=SUCCESS,nope', 'state'],
        ['since=yesterday', 'since'],
        ['until=2026-13-01', 'until'],
        ['cursor=not-a-cursor', 'cursor'],
        [`q=${'x'.repeat(201)}`, 'q'],
        ['name=', 'name'],
      ];
      for (const [query, field] of cases) {
        const response = await viewer.request('GET', `/api/v1/tasks?${query}`);
        expect(response.status, query).toBe(400);
        expect((await errorOf(response)).field, query).toBe(field);
      }
      const throughput = await viewer.request('GET', '/api/v1/metrics/throughput?window=2h');
      expect(throughput.status).toBe(400);
      expect((await errorOf(throughput)).field).toBe('window');
      const workers = await viewer.request('GET', '/api/v1/workers?online=maybe');
      expect((await errorOf(workers)).field).toBe('online');
      const dead = await viewer.request('GET', '/api/v1/dead-letters?limit=-1');
      expect((await errorOf(dead)).field).toBe('limit');
      // Anonymous callers get nothing.
      expect((await new Client(_gateway.url).request('GET', '/api/v1/tasks')).status).toBe(401);
    });
  });

  postgresTest('shows one task with its attempts, parent, root, children, retry links and schedule', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (gateway, viewer) => {
      const retried = (await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-016')).task;
      expect(retried).toMatchObject({ id: 'task-016', state: 'SUCCESS', retries: 1 });
      expect(retried.attempts.map((a) => [a.attempt, a.outcome, a.errorName, a.worker])).toEqual([[1, 'RETRY', 'Timeout', 'worker-a'], [2, 'SUCCESS', null, 'worker-a']]);
      expect(retried.attempts[0]!.nextRetryAt).toBe(new Date(T0 + 16_500).toISOString());

      const failed = (await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-020')).task;
      expect(failed).toMatchObject({ state: 'FAILURE', errorName: 'QuotaExceeded', errorStack: 'QuotaExceeded: mailbox full\n    at send', parentId: 'task-000' });
      expect(failed.parent).toMatchObject({ id: 'task-000', name: 'mail.send', state: 'SUCCESS' });
      expect(failed.root?.id).toBe('task-000');
      const root = (await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-000')).task;
      expect(root.children.map((c) => c.id)).toEqual(['task-010', 'task-020', 'task-030', 'task-040', 'task-050']);
      expect(root.parent).toBeNull();

      // The retry action links tasks both ways; the detail follows the links.
      await gateway.prisma.task.update({ where: { id: 'task-020' }, data: { retriedIntoId: 'task-021' } });
      await gateway.prisma.task.update({ where: { id: 'task-021' }, data: { retriedFromId: 'task-020' } });
      expect((await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-020')).task.retriedInto).toMatchObject({ id: 'task-021' });
      expect((await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-021')).task.retriedFrom).toMatchObject({ id: 'task-020', state: 'FAILURE' });

      const beat = producer('beat', 9, T0);
      await applyBatch(gateway.prisma, [
        beat({ type: 'schedule-fired', schedule: 'nightly', task: 'report.build', taskId: 'task-001', dueAt: new Date(T0).toISOString(), firedAt: new Date(T0 + 5).toISOString(), manual: false, missed: 0, beat: 'beat' }),
      ]);
      expect((await getJson<{ task: TaskDetail }>(viewer, '/api/v1/tasks/task-001')).task.schedule).toEqual({ name: 'nightly', dueAt: new Date(T0).toISOString() });

      const missing = await viewer.request('GET', '/api/v1/tasks/no-such-task');
      expect(missing.status).toBe(404);
      expect((await errorOf(missing)).code).toBe('NOT_FOUND');

      const facets = await getJson<TaskFacets>(viewer, '/api/v1/tasks/facets');
      expect(facets).toEqual({ names: ['mail.send', 'report.build'], queues: ['default', 'mail'], workers: ['worker-a', 'worker-b'], clusters: [], states: ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'] });
    });
  });

  postgresTest("filters tasks and workers by Celery cluster, `lovage` standing for Lovage's own", async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (gateway, viewer) => {
      // Two watched clusters' rows beside the seed's 60 own tasks, as their event ingest writes them.
      for (const [cluster, pid] of [['shop', 40], ['billing', 41]] as const) {
        const python = producer(`celery@${cluster}`, pid, T0);
        await applyBatch(
          gateway.prisma,
          [
            python({ type: 'worker-online', ...heartbeat(0) }, 0),
            python({ type: 'task-sent', id: `${cluster}-1`, name: 'proj.tasks.add', queue: 'celery', retries: 0, args: '(2, 2)' }, 100),
            python({ type: 'task-sent', id: `${cluster}-2`, name: 'proj.tasks.add', queue: 'celery', retries: 0, args: '(3, 3)' }, 200),
          ],
          undefined,
          { cluster },
        );
      }
      const ids = (tasks: TaskSummary[]) => tasks.map((t) => t.id).sort();
      expect(ids(await allPages(viewer, 'cluster=shop', 50))).toEqual(['shop-1', 'shop-2']);
      expect((await allPages(viewer, 'cluster=shop', 50)).every((t) => t.cluster === 'shop')).toBe(true);
      expect(ids(await allPages(viewer, 'cluster=billing&name=proj.tasks.add', 1))).toEqual(['billing-1', 'billing-2']);
      const own = await allPages(viewer, 'cluster=lovage', 50);
      expect(own).toHaveLength(60);
      expect(own.every((t) => t.cluster === null)).toBe(true);
      expect(await allPages(viewer, 'cluster=nowhere', 50)).toEqual([]);
      expect((await getJson<TaskFacets>(viewer, '/api/v1/tasks/facets')).clusters).toEqual(['billing', 'shop']);

      const workers = async (query: string) => (await getJson<WorkerList>(viewer, `/api/v1/workers?${query}`)).workers.map((w) => w.hostname).sort();
      expect(await workers('cluster=shop')).toEqual(['celery@shop']);
      expect(await workers('cluster=lovage')).toEqual(['worker-a', 'worker-b']);
      const bad = await viewer.request('GET', `/api/v1/tasks?cluster=${'x'.repeat(101)}`);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await errorOf(bad))).toContain('cluster');
    });
  });

  postgresTest('returns task data containing markup as plain JSON data', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (gateway, viewer) => {
      const evil = producer('<img src=x onerror=alert(1)>', 66, T0);
      const payload = '<script>alert("x")</script>';
      await applyBatch(gateway.prisma, [
        evil({ type: 'task-failed', id: 'xss-1', name: `<b>${payload}</b>`, queue: 'q', retries: 0, runtime: 1, error: { name: '<img src=x onerror=alert(2)>', message: payload } }, 0),
      ]);
      const response = await viewer.request('GET', '/api/v1/tasks/xss-1');
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const { task } = (await response.json()) as { task: TaskDetail };
      expect(task).toMatchObject({ name: `<b>${payload}</b>`, errorName: '<img src=x onerror=alert(2)>', errorMessage: payload, worker: '<img src=x onerror=alert(1)>' });
    });
  });

  postgresTest('lists workers and shows one with its heartbeat samples and running tasks', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (gateway, viewer) => {
      const { workers } = await getJson<WorkerList>(viewer, '/api/v1/workers');
      expect(workers.map((w) => [w.hostname, w.online])).toEqual([['worker-a', true], ['worker-b', false]]);
      expect(workers[0]).toMatchObject({ pid: 2, version: '0.1.0', queues: ['default', 'mail'], poolKind: 'async', poolSize: 8, processed: 60, memoryRss: 64_000_000 });
      expect((await getJson<WorkerList>(viewer, '/api/v1/workers?online=false')).workers.map((w) => w.hostname)).toEqual(['worker-b']);
      const worker = producer('worker-a', 2, NOW);
      await applyBatch(gateway.prisma, [worker({ type: 'task-started', id: 'running-1', name: 'long.job', queue: 'default', retries: 0 }, 0)]);
      const { worker: detail } = await getJson<{ worker: WorkerDetail }>(viewer, '/api/v1/workers/worker-a');
      expect(detail.heartbeats.map((h) => [Date.parse(h.at) - T0, h.processed])).toEqual([[0, 0], [30_000, 30], [60_000, 60]]);
      expect(detail.runningTasks.map((t) => t.id)).toEqual(['running-1']);
      expect((await viewer.request('GET', '/api/v1/workers/nobody')).status).toBe(404);
    });
  });

  postgresTest('shows queues, dead letters and schedules from the broker, with run history from the database', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'read-api-broker' } });
    try {
      const viewer = await signedIn(gateway, 'viewer');
      const job = app.task('broker.job', (n: number) => n);
      for (let i = 0; i < 3; i++) await job.applyAsync([i], { queue: 'reports' });
      await job.applyAsync([99], { queue: 'graveyard' });
      const broker = app.broker();
      const { deliveries } = await broker.reserve(['graveyard'], 1, 30_000);
      await broker.settle([{ kind: 'dead', delivery: deliveries[0]!, reason: 'poison: <b>bad</b>' }]);

      const { available, queues } = await getJson<QueueList>(viewer, '/api/v1/queues');
      expect(available).toBe(true);
      expect(queues.find((q) => q.name === 'reports')).toMatchObject({ ready: 3, delayed: 0, reserved: 0, dead: 0 });
      expect(queues.find((q) => q.name === 'reports')!.history.reduce((sum, p) => sum + p.enqueued, 0)).toBe(3);
      expect(queues.find((q) => q.name === 'graveyard')).toMatchObject({ ready: 0, dead: 1 });
      const dead = await getJson<DeadLetterList>(viewer, '/api/v1/dead-letters');
      expect(dead.deadLetters).toHaveLength(1);
      expect(dead.deadLetters[0]).toMatchObject({ queue: 'graveyard', task: 'broker.job', reason: 'poison: <b>bad</b>', bodyTruncated: false });
      expect((await getJson<DeadLetterList>(viewer, '/api/v1/dead-letters?queue=reports')).deadLetters).toEqual([]);

      await app.schedules.upsert('hourly-report', { task: 'broker.job', schedule: '1h', args: [1] }, { actor: 'test' });
      const list = await getJson<ScheduleList>(viewer, '/api/v1/schedules');
      expect(list.schedules.map((s) => [s.name, s.task, s.schedule, s.enabled, s.version])).toEqual([['hourly-report', 'broker.job', { kind: 'interval', everyMs: 3_600_000 }, true, 1]]);
      const beat = producer('beat', 9, NOW - 7_200_000);
      await applyBatch(gateway.prisma, [
        beat({ type: 'schedule-fired', schedule: 'hourly-report', task: 'broker.job', taskId: 'sched-run-1', dueAt: new Date(NOW - 7_200_000).toISOString(), firedAt: new Date(NOW - 7_200_000).toISOString(), manual: false, missed: 0, beat: 'beat' }),
        beat({ type: 'schedule-fired', schedule: 'hourly-report', task: 'broker.job', taskId: 'sched-run-2', dueAt: new Date(NOW - 3_600_000).toISOString(), firedAt: new Date(NOW - 3_600_000).toISOString(), manual: false, missed: 0, beat: 'beat' }, 3_600_000),
        beat({ type: 'schedule-changed', schedule: 'hourly-report', action: 'disabled', actor: 'ann', changes: ['enabled'], before: null, after: null, at: new Date(NOW).toISOString() }, 7_200_000),
      ]);
      const detail = await getJson<ScheduleDetail>(viewer, '/api/v1/schedules/hourly-report');
      expect(detail.runs.map((r) => [r.taskId, r.taskState])).toEqual([['sched-run-2', 'PENDING'], ['sched-run-1', 'PENDING']]);
      // The list carries each schedule's newest run, for the "last run" column's outcome.
      expect(list.lastRuns).toEqual({});
      const listed = await getJson<ScheduleList>(viewer, '/api/v1/schedules');
      expect(listed.lastRuns['hourly-report']).toMatchObject({ taskId: 'sched-run-2', taskState: 'PENDING' });
      // The store's own 'created' event may have been ingested too.
      expect(detail.changes.map((c) => [c.action, c.actor])).toEqual(expect.arrayContaining([['disabled', 'ann']]));
      expect(detail.nextRuns).toHaveLength(5);
      expect((await viewer.request('GET', '/api/v1/schedules/nope')).status).toBe(404);
    } finally {
      await gateway.close();
      await harness.close();
    }
  });

  postgresTest('gives throughput per minute with failure rate and runtime percentiles, and an overview, reading hourly rollups where minutes are gone', async ({ postgres }) => {
    await withSeededGateway(postgres.url, async (gateway, viewer) => {
      const series = await getJson<Throughput>(viewer, '/api/v1/metrics/throughput?window=1h');
      expect(series.bucketSeconds).toBe(60);
      expect(series.points).toHaveLength(60);
      expect(series.totals).toMatchObject({ received: 60, started: 64, succeeded: 52, failed: 8, retried: 4 });
      expect(series.totals.failureRate).toBeCloseTo(8 / 60);
      expect(series.totals.runtimeP50).toBeGreaterThan(0.025);
      expect(series.totals.runtimeP99).toBeLessThanOrEqual(0.1);
      const minute = series.points.filter((p) => p.succeeded + p.failed > 0);
      expect(minute.reduce((sum, p) => sum + p.succeeded, 0)).toBe(52);
      const mailOnly = await getJson<Throughput>(viewer, '/api/v1/metrics/throughput?window=24h&name=mail.send');
      expect(mailOnly.bucketSeconds).toBe(300);
      expect(mailOnly.totals.succeeded + mailOnly.totals.failed).toBe(20);

      const overview = await getJson<Overview>(viewer, '/api/v1/overview');
      expect(overview.tasks).toEqual({ stored: 60, pending: 0, received: 0, started: 0, retry: 0 });
      expect(overview.workers).toEqual({ online: 1, offline: 1 });
      expect(overview.last24h).toMatchObject({ succeeded: 52, failed: 8 });
      expect(overview.topFailing).toEqual([{ name: expect.any(String) as string, failed: expect.any(Number) as number, succeeded: expect.any(Number) as number, failureRate: expect.any(Number) as number }, expect.anything()]);
      expect(overview.topFailing.reduce((sum, t) => sum + t.failed, 0)).toBe(8);
      // Without an engine app there is no broker to ask and no ingest.
      expect(overview.queues).toBeNull();
      expect(overview.ingest).toBeNull();

      // Past the metric retention only hourly rollups are left: the series reads them with the
      // minutes, as one. (One rollup 3 h old: a deployment with LOVAGE_METRICS_RETENTION=1h.)
      const DAY = 86_400_000;
      const hourOf = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000);
      const ran = (seconds: number, count: number) => emptyHistogram().map((n, bin) => (bin === bucketOf(seconds) ? count : n));
      await gateway.prisma.metricBucketHourly.createMany({
        data: [
          { hour: hourOf(NOW - 3 * 3_600_000), taskName: 'mail.send', queue: 'mail', received: 4, started: 4, failed: 4, runtimeMax: 1, runtimeHistogram: ran(1, 4) },
          { hour: hourOf(NOW - 100 * DAY), taskName: 'mail.send', queue: 'mail', received: 7, started: 7, succeeded: 5, failed: 2, runtimeMax: 0.4, runtimeHistogram: ran(0.3, 7) },
          { hour: hourOf(NOW - 200 * DAY), taskName: 'report.build', queue: 'default', received: 3, started: 3, succeeded: 3, runtimeMax: 0.1, runtimeHistogram: ran(0.1, 3) },
        ],
      });
      const year = await getJson<Throughput>(viewer, '/api/v1/metrics/throughput?window=365d');
      expect(year.bucketSeconds).toBe(DAY / 1_000);
      expect(year.points).toHaveLength(365);
      expect(year.totals).toMatchObject({ received: 74, started: 78, succeeded: 60, failed: 14, retried: 4 });
      const dayOf = (series: Throughput, ms: number) => series.points.find((point) => Date.parse(point.at) <= ms && ms < Date.parse(point.at) + series.bucketSeconds * 1_000);
      expect(dayOf(year, NOW - 100 * DAY)).toMatchObject({ received: 7, succeeded: 5, failed: 2, runtimeP50: 0.4, runtimeMax: 0.4 });
      expect(dayOf(year, NOW - 200 * DAY)).toMatchObject({ received: 3, succeeded: 3, failed: 0, runtimeMax: 0.1 });
      const quarter = await getJson<Throughput>(viewer, '/api/v1/metrics/throughput?window=90d&name=mail.send');
      expect(quarter.bucketSeconds).toBe(6 * 3_600);
      expect(quarter.totals).toMatchObject({ succeeded: 17, failed: 7 });
      const withRollup = await getJson<Overview>(viewer, '/api/v1/overview');
      expect(withRollup.last24h).toMatchObject({ succeeded: 52, failed: 12 });
      expect(withRollup.topFailing[0]).toMatchObject({ name: 'mail.send', failed: 7 });
    });
  });
});
