// Task actions against a real engine app, worker, Redis and Postgres: revoke,
// retry (linked both ways), apply by name, and bulk jobs; each audited, each
// refused to a viewer without effect.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { startStack, taskInState, until } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

interface Job {
  id: string;
  state: string;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  skipped: number;
  errors: { id: string; code: string }[];
}

describe('task actions', () => {
  postgresTest('revoke: a viewer gets 403 and nothing happens; an operator revokes; unknown and finished tasks get 404 and 409; all audited', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      const delayed = await producer.sendTask('tests.add', [1, 2], { countdown: '1h' });
      await taskInState(gateway, delayed.id, ['PENDING']);

      const denied = await viewer.request('POST', `/api/v1/tasks/${delayed.id}/revoke`, { body: { terminate: true } });
      expect(denied.status).toBe(403);
      expect(await producer.asyncResult(delayed.id).state()).toBe('PENDING');

      const revoked = await operator.request('POST', `/api/v1/tasks/${delayed.id}/revoke`, { body: { terminate: true } });
      expect(revoked.status).toBe(200);
      expect(await revoked.json()).toEqual({ id: delayed.id, terminate: true, previousState: 'PENDING' });
      expect(await producer.asyncResult(delayed.id).state()).toBe('REVOKED');

      const missing = await operator.request('POST', '/api/v1/tasks/no-such-task/revoke', { body: {} });
      expect(missing.status).toBe(404);

      await stack.startWorker();
      const done = await producer.sendTask('tests.add', [2, 3]);
      await taskInState(gateway, done.id, ['SUCCESS']);
      const finished = await operator.request('POST', `/api/v1/tasks/${done.id}/revoke`);
      expect(finished.status).toBe(409);
      expect((await errorOf(finished)).code).toBe('TASK_FINISHED');

      const bad = await operator.request('POST', `/api/v1/tasks/${done.id}/revoke`, { body: { terminate: 'yes' } });
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).field).toBe('terminate');

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'task.revoke' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => [entry.outcome, entry.target, entry.error])).toEqual([
        ['denied', `/api/v1/tasks/${delayed.id}/revoke`, 'FORBIDDEN'],
        ['ok', delayed.id, null],
        ['failed', 'no-such-task', 'NOT_FOUND'],
        ['failed', done.id, 'TASK_FINISHED'],
        ['failed', done.id, 'VALIDATION_FAILED'],
      ]);
      expect(audit[1]!.actor).toMatch(/^operator-/);
      expect(audit[1]!.params).toMatchObject({ terminate: true });
    } finally {
      await stack.close();
    }
  });

  postgresTest('retry: a failed or rejected task is sent again as a new task with the same name and args, linked both ways; a second retry is refused', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const viewer = await signedIn(gateway, 'viewer');
      const failed = await producer.sendTask('tests.fail', ['boom'], { priority: 3 });
      await taskInState(gateway, failed.id, ['FAILURE']);

      const denied = await viewer.request('POST', `/api/v1/tasks/${failed.id}/retry`);
      expect(denied.status).toBe(403);
      expect((await gateway.prisma.task.findUnique({ where: { id: failed.id } }))?.retriedIntoId).toBeNull();

      const retried = await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`);
      expect(retried.status).toBe(201);
      const { retriedIntoId } = (await retried.json()) as { retriedIntoId: string };
      const copy = await taskInState(gateway, retriedIntoId, ['FAILURE']);
      expect(copy).toMatchObject({ name: 'tests.fail', args: ['boom'], priority: 3, retriedFromId: failed.id, errorMessage: 'boom' });
      expect((await gateway.prisma.task.findUnique({ where: { id: failed.id } }))?.retriedIntoId).toBe(retriedIntoId);

      const again = await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`);
      expect(again.status).toBe(409);
      expect((await errorOf(again)).code).toBe('ALREADY_RETRIED');

      const ok = await producer.sendTask('tests.add', [1, 1]);
      await taskInState(gateway, ok.id, ['SUCCESS']);
      const notRetriable = await operator.request('POST', `/api/v1/tasks/${ok.id}/retry`);
      expect(notRetriable.status).toBe(409);
      expect((await errorOf(notRetriable)).code).toBe('TASK_NOT_RETRIABLE');
      expect((await operator.request('POST', '/api/v1/tasks/nope/retry')).status).toBe(404);

      // A dead-lettered (REJECTED) task is retried like a failed one.
      const rejected = await producer.sendTask('tests.reject', ['no']);
      await taskInState(gateway, rejected.id, ['REJECTED']);
      const fromRejected = await operator.request('POST', `/api/v1/tasks/${rejected.id}/retry`);
      expect(fromRejected.status).toBe(201);
      const rejectedAgain = await taskInState(gateway, ((await fromRejected.json()) as { retriedIntoId: string }).retriedIntoId, ['REJECTED']);
      expect(rejectedAgain).toMatchObject({ name: 'tests.reject', args: ['no'], retriedFromId: rejected.id });

      const entry = await gateway.prisma.auditLog.findFirst({ where: { action: 'task.retry', outcome: 'ok' }, orderBy: { id: 'asc' } });
      expect(entry).toMatchObject({ target: failed.id, params: { retriedIntoId } });
    } finally {
      await stack.close();
    }
  });

  postgresTest('replay: a retry with edited args and kwargs runs them, linked both ways, from any finished task and more than once; a bad body is a 400 naming the field; a viewer gets 403; all audited', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const viewer = await signedIn(gateway, 'viewer');
      const failed = await producer.sendTask('tests.fail', ['boom'], { priority: 2 });
      await taskInState(gateway, failed.id, ['FAILURE']);

      const denied = await viewer.request('POST', `/api/v1/tasks/${failed.id}/retry`, { body: { args: ['edited'] } });
      expect(denied.status).toBe(403);

      const cases: [unknown, string][] = [
        [{ args: 'edited' }, 'args'],
        [{ args: { 0: 'edited' } }, 'args'],
        [{ args: ['x'.repeat(70_000)] }, 'args'],
        [{ kwargs: ['edited'] }, 'kwargs'],
      ];
      for (const [body, field] of cases) {
        const bad = await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`, { body });
        expect(bad.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect((await errorOf(bad)).field).toBe(field);
      }
      expect((await gateway.prisma.task.findUnique({ where: { id: failed.id } }))?.retriedIntoId).toBeNull();

      const replayed = await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`, { body: { args: ['edited'] } });
      expect(replayed.status).toBe(201);
      const { retriedIntoId } = (await replayed.json()) as { retriedIntoId: string };
      const copy = await taskInState(gateway, retriedIntoId, ['FAILURE']);
      expect(copy).toMatchObject({ name: 'tests.fail', args: ['edited'], priority: 2, retriedFromId: failed.id, errorMessage: 'edited' });
      expect((await gateway.prisma.task.findUnique({ where: { id: failed.id } }))?.retriedIntoId).toBe(retriedIntoId);
      const detail = (await (await viewer.request('GET', `/api/v1/tasks/${retriedIntoId}`)).json()) as { task: { retriedFrom: { id: string } | null } };
      expect(detail.task.retriedFrom?.id).toBe(failed.id);

      // Edited kwargs go with the new message too (a Lovage handler gets them as one trailing object).
      const flaky = await producer.sendTask('tests.flaky', ['original']);
      await taskInState(gateway, flaky.id, ['FAILURE']);
      const withKwargs = await operator.request('POST', `/api/v1/tasks/${flaky.id}/retry`, { body: { args: ['edited'], kwargs: { note: 'edited' } } });
      expect(withKwargs.status).toBe(201);
      const rerun = await taskInState(gateway, ((await withKwargs.json()) as { retriedIntoId: string }).retriedIntoId, ['SUCCESS']);
      expect(rerun).toMatchObject({ args: ['edited'], kwargs: { note: 'edited' }, resultPreview: '"edited"', retriedFromId: flaky.id });

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'task.retry', target: { in: [failed.id, `/api/v1/tasks/${failed.id}/retry`] } }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => [entry.outcome, entry.error])).toEqual([
        ['denied', 'FORBIDDEN'],
        ...cases.map(() => ['failed', 'VALIDATION_FAILED']),
        ['ok', null],
      ]);
      expect(audit.at(-1)?.params).toEqual({ args: ['edited'], retriedIntoId });

      // Replays are not once-only: the original is replayed again and lists both, newest first;
      // its retry link stays with the first re-run, so a plain retry is still refused.
      const second = await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`, { body: { args: ['again'] } });
      expect(second.status).toBe(201);
      const secondId = ((await second.json()) as { retriedIntoId: string }).retriedIntoId;
      await taskInState(gateway, secondId, ['FAILURE']);
      const original = (await (await viewer.request('GET', `/api/v1/tasks/${failed.id}`)).json()) as { task: { retriedIntoId: string; replays: { id: string }[] } };
      expect(original.task.retriedIntoId).toBe(retriedIntoId);
      expect(original.task.replays.map((replay) => replay.id)).toEqual([secondId, retriedIntoId]);
      expect((await errorOf(await operator.request('POST', `/api/v1/tasks/${failed.id}/retry`))).code).toBe('ALREADY_RETRIED');

      // Any finished task can be replayed, a successful one too (it keeps no retry link); an unfinished one cannot.
      const done = await producer.sendTask('tests.add', [1, 1]);
      await taskInState(gateway, done.id, ['SUCCESS']);
      const fromSuccess = await operator.request('POST', `/api/v1/tasks/${done.id}/retry`, { body: { args: [20, 22] } });
      expect(fromSuccess.status).toBe(201);
      const sum = await taskInState(gateway, ((await fromSuccess.json()) as { retriedIntoId: string }).retriedIntoId, ['SUCCESS']);
      expect(sum).toMatchObject({ resultPreview: '42', retriedFromId: done.id });
      expect((await gateway.prisma.task.findUnique({ where: { id: done.id } }))?.retriedIntoId).toBeNull();
      const waiting = await producer.sendTask('tests.add', [1, 2], { countdown: '1h' });
      await taskInState(gateway, waiting.id, ['PENDING']);
      const early = await operator.request('POST', `/api/v1/tasks/${waiting.id}/retry`, { body: { args: [1, 2] } });
      expect(early.status).toBe(409);
      expect((await errorOf(early)).code).toBe('TASK_NOT_FINISHED');
    } finally {
      await stack.close();
    }
  });

  postgresTest("registered: an operator reads the task names the live workers register; a viewer gets 403", async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway } = stack;
      const operator = await signedIn(gateway, 'operator');
      const viewer = await signedIn(gateway, 'viewer');
      expect((await viewer.request('GET', '/api/v1/tasks/registered')).status).toBe(403);
      const none = (await (await operator.request('GET', '/api/v1/tasks/registered')).json()) as { tasks: unknown[] };
      expect(none.tasks).toEqual([]);
      await stack.startWorker();
      const listed = (await (await operator.request('GET', '/api/v1/tasks/registered')).json()) as { tasks: { name: string; cluster: string | null }[]; unanswered: string[] };
      expect(listed.tasks).toContainEqual({ name: 'tests.add', cluster: null });
      expect(listed.unanswered).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  postgresTest('apply: an operator sends a task by name with JSON args and a worker runs it; unknown names and bad options are refused', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const viewer = await signedIn(gateway, 'viewer');

      const denied = await viewer.request('POST', '/api/v1/tasks', { body: { task: 'tests.add', args: [40, 2] } });
      expect(denied.status).toBe(403);

      const applied = await operator.request('POST', '/api/v1/tasks', { body: { task: 'tests.add', args: [40, 2], options: { queue: 'default', priority: 5 } } });
      expect(applied.status).toBe(201);
      const body = (await applied.json()) as { id: string; task: string; queue: string; state: string };
      expect(body).toMatchObject({ task: 'tests.add', queue: 'default', state: 'PENDING' });
      await taskInState(gateway, body.id, ['SUCCESS']);
      // The priority comes with task-sent, which the gateway's own app may flush after the worker's events.
      const row = await until(async () => {
        const stored = await gateway.prisma.task.findUnique({ where: { id: body.id } });
        return stored?.priority === 5 ? stored : null;
      }, 'the task-sent event applied');
      expect(row).toMatchObject({ args: [40, 2], resultPreview: '42', priority: 5 });
      // Exactly one task was sent: only the one the operator applied exists.
      expect(await gateway.prisma.task.count()).toBe(1);

      const unknown = await operator.request('POST', '/api/v1/tasks', { body: { task: 'tests.nobody-knows', args: [] } });
      expect(unknown.status).toBe(404);

      const cases: [unknown, string][] = [
        [{ args: [] }, 'task'],
        [{ task: 'tests.add', args: 'not-a-list' }, 'args'],
        [{ task: 'tests.add', options: { priority: 12 } }, 'options.priority'],
        [{ task: 'tests.add', options: { countdown: 'soon' } }, 'options.countdown'],
        [{ task: 'tests.add', options: { colour: 'red' } }, 'options'],
      ];
      for (const [payload, field] of cases) {
        const response = await operator.request('POST', '/api/v1/tasks', { body: payload });
        expect({ status: response.status, field: (await errorOf(response)).field }).toEqual({ status: 400, field });
      }
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'task.apply' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => entry.outcome)).toEqual(['denied', 'ok', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed']);
      expect(audit[1]!.params).toMatchObject({ task: 'tests.add', taskId: body.id });
    } finally {
      await stack.close();
    }
  });

  postgresTest('bulk: retry by filter and revoke by ids run as background jobs whose progress GET /jobs/:id reports', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer } = stack;
      await stack.startWorker();
      const operator = await signedIn(gateway, 'operator');
      const viewer = await signedIn(gateway, 'viewer');
      const failures = await Promise.all([1, 2, 3, 4, 5].map((n) => producer.sendTask('tests.fail', [`bulk-${n}`])));
      for (const failure of failures) await taskInState(gateway, failure.id, ['FAILURE']);

      const denied = await viewer.request('POST', '/api/v1/tasks/bulk', { body: { action: 'retry', filter: { state: 'FAILURE' } } });
      expect(denied.status).toBe(403);
      const started = await operator.request('POST', '/api/v1/tasks/bulk', { body: { action: 'retry', filter: { state: ['FAILURE'], name: 'tests.fail' } } });
      expect(started.status).toBe(202);
      const { job } = (await started.json()) as { job: Job };
      const finished = await until(async () => {
        const current = ((await (await viewer.request('GET', `/api/v1/jobs/${job.id}`)).json()) as { job: Job }).job;
        return current.state === 'succeeded' ? current : null;
      }, 'bulk retry job');
      expect(finished).toMatchObject({ total: 5, done: 5, succeeded: 5, failed: 0, skipped: 0 });
      const links = await gateway.prisma.task.findMany({ where: { id: { in: failures.map((f) => f.id) } }, select: { retriedIntoId: true } });
      expect(links.every((link) => link.retriedIntoId !== null)).toBe(true);

      const delayed = await Promise.all([1, 2, 3].map((n) => producer.sendTask('tests.add', [n, n], { countdown: '1h' })));
      for (const task of delayed) await taskInState(gateway, task.id, ['PENDING']);
      const revoke = await operator.request('POST', '/api/v1/tasks/bulk', { body: { action: 'revoke', ids: [...delayed.map((t) => t.id), 'missing-id'] } });
      const revokeJob = ((await revoke.json()) as { job: Job }).job;
      const revokeDone = await until(async () => {
        const current = ((await (await operator.request('GET', `/api/v1/jobs/${revokeJob.id}`)).json()) as { job: Job }).job;
        return current.state === 'succeeded' ? current : null;
      }, 'bulk revoke job');
      expect(revokeDone).toMatchObject({ total: 4, succeeded: 3, skipped: 1, errors: [{ id: 'missing-id', code: 'NOT_FOUND' }] });
      for (const task of delayed) expect(await producer.asyncResult(task.id).state()).toBe('REVOKED');

      const list = (await (await viewer.request('GET', '/api/v1/jobs')).json()) as { jobs: Job[] };
      expect(list.jobs.map((j) => j.id)).toEqual([revokeJob.id, job.id]);
      expect((await viewer.request('GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);

      const both = await operator.request('POST', '/api/v1/tasks/bulk', { body: { action: 'revoke', ids: ['a'], filter: {} } });
      expect({ status: both.status, field: (await errorOf(both)).field }).toEqual({ status: 400, field: 'ids' });
      const badState = await operator.request('POST', '/api/v1/tasks/bulk', { body: { action: 'retry', filter: { state: 'BROKEN' } } });
      expect({ status: badState.status, field: (await errorOf(badState)).field }).toEqual({ status: 400, field: 'filter.state' });

      await until(async () => (await gateway.prisma.auditLog.count({ where: { action: { endsWith: 'bulk_finished' } } })) === 2, 'bulk audit');
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: { startsWith: 'tasks.' } }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => `${entry.action}:${entry.outcome}`).sort()).toEqual([
        'tasks.bulk:denied',
        'tasks.bulk:failed',
        'tasks.bulk:failed',
        'tasks.bulk:ok',
        'tasks.bulk:ok',
        'tasks.retry.bulk_finished:ok',
        'tasks.revoke.bulk_finished:ok',
      ]);
    } finally {
      await stack.close();
    }
  });
});
