// Queue purge, dead letters and worker control against a real broker and a
// real worker: roles, audit, and clear errors for targets that do not exist.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { startStack, taskInState, until } from './actions-support.js';
import { errorOf, signedIn } from './support.js';

describe('queue and dead-letter actions', () => {
  postgresTest('purge needs admin; it empties the queue; an unknown queue is 404', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer, app } = stack;
      const operator = await signedIn(gateway, 'operator');
      const admin = await signedIn(gateway, 'admin');
      for (let i = 0; i < 3; i++) await producer.sendTask('tests.add', [i, i], { queue: 'purge-me' });
      await producer.sendTask('tests.add', [9, 9], { queue: 'purge-me', countdown: '1h' });

      const denied = await operator.request('POST', '/api/v1/queues/purge-me/purge');
      expect(denied.status).toBe(403);
      expect((await app.queues.stats('purge-me')).ready).toBe(3);

      const purged = await admin.request('POST', '/api/v1/queues/purge-me/purge');
      expect(purged.status).toBe(200);
      expect(await purged.json()).toEqual({ queue: 'purge-me', purged: 4 });
      expect(await app.queues.stats('purge-me')).toMatchObject({ ready: 0, delayed: 0 });

      const unknown = await admin.request('POST', '/api/v1/queues/never-seen/purge');
      expect(unknown.status).toBe(404);
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'queue.purge' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => [entry.outcome, entry.target])).toEqual([
        ['denied', '/api/v1/queues/purge-me/purge'],
        ['ok', 'purge-me'],
        ['failed', 'never-seen'],
      ]);
      expect(audit[1]!.params).toMatchObject({ purged: 4 });
    } finally {
      await stack.close();
    }
  });

  postgresTest('pause and resume need operator, show as paused on the queues API, hold tasks until resumed, and are audited', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer, app } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      await stack.startWorker();
      const first = await producer.sendTask('tests.add', [1, 1]);
      await taskInState(gateway, first.id, ['SUCCESS']);
      const pausedOf = async (name: string): Promise<boolean | undefined> => {
        const list = (await (await viewer.request('GET', '/api/v1/queues')).json()) as { queues: { name: string; paused: boolean }[] };
        return list.queues.find((q) => q.name === name)?.paused;
      };
      expect(await pausedOf('default')).toBe(false);

      expect((await viewer.request('POST', '/api/v1/queues/default/pause')).status).toBe(403);
      const paused = await operator.request('POST', '/api/v1/queues/default/pause');
      expect(paused.status).toBe(200);
      expect(await paused.json()).toEqual({ queue: 'default', paused: true });
      expect(await pausedOf('default')).toBe(true);

      const held = await producer.sendTask('tests.add', [2, 2]);
      // Another queue's task, sent afterwards, runs while the paused one's keeps waiting.
      const other = await producer.sendTask('tests.add', [3, 3], { queue: 'open' });
      expect((await operator.request('POST', '/api/v1/queues/open/resume')).status).toBe(200);
      const worker2 = await stack.startWorker({ queues: ['open'] });
      await taskInState(gateway, other.id, ['SUCCESS']);
      await worker2.close();
      expect(await held.state()).toBe('PENDING');
      expect((await app.queues.stats('default')).ready).toBe(1);

      const resumedAll = await operator.request('POST', '/api/v1/queues/resume-all');
      expect(resumedAll.status).toBe(200);
      expect(await resumedAll.json()).toMatchObject({ paused: false, queues: expect.arrayContaining(['default', 'open']) as unknown });
      await taskInState(gateway, held.id, ['SUCCESS']);
      expect(await pausedOf('default')).toBe(false);

      expect((await operator.request('POST', '/api/v1/queues/never-seen/pause')).status).toBe(404);
      const audit = await gateway.prisma.auditLog.findMany({ where: { action: { startsWith: 'queue.' } }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => [entry.action, entry.outcome, entry.target])).toEqual([
        ['queue.pause', 'denied', '/api/v1/queues/default/pause'],
        ['queue.pause', 'ok', 'default'],
        ['queue.resume', 'ok', 'open'],
        ['queue.resumeAll', 'ok', '*'],
        ['queue.pause', 'failed', 'never-seen'],
      ]);
    } finally {
      await stack.close();
    }
  });

  postgresTest('concurrency: an operator sets and clears a queue limit shown on the queues API; a viewer is refused; a bad limit is 400 naming it; all audited', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer, app } = stack;
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      await producer.sendTask('tests.add', [1, 1], { queue: 'capped' });
      const limitOf = async (name: string): Promise<number | null | undefined> => {
        const list = (await (await viewer.request('GET', '/api/v1/queues')).json()) as { queues: { name: string; concurrency: number | null }[] };
        return list.queues.find((q) => q.name === name)?.concurrency;
      };
      const url = '/api/v1/queues/capped/concurrency';
      expect(await limitOf('capped')).toBeNull();

      expect((await viewer.request('PUT', url, { body: { limit: 2 } })).status).toBe(403);
      expect(await limitOf('capped')).toBeNull();
      const set = await operator.request('PUT', url, { body: { limit: 2 } });
      expect(set.status).toBe(200);
      expect(await set.json()).toEqual({ queue: 'capped', concurrency: 2 });
      expect(await limitOf('capped')).toBe(2);
      expect((await app.queues.stats('capped')).concurrency).toBe(2);

      const bad = await Promise.all([{ limit: 0 }, { limit: 1.5 }, { limit: 'two' }, {}].map((body) => operator.request('PUT', url, { body })));
      expect(bad.map((response) => response.status)).toEqual([400, 400, 400, 400]);
      const errors = await Promise.all(bad.map((response) => errorOf(response)));
      expect(errors.map((error) => error.field)).toEqual(['limit', 'limit', 'limit', 'limit']);
      expect(errors[0]!.message).toContain('pause');
      expect(await limitOf('capped')).toBe(2);

      const cleared = await operator.request('PUT', url, { body: { limit: null } });
      expect(await cleared.json()).toEqual({ queue: 'capped', concurrency: null });
      expect(await limitOf('capped')).toBeNull();
      expect((await operator.request('PUT', '/api/v1/queues/never-seen/concurrency', { body: { limit: 1 } })).status).toBe(404);

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'queue.concurrency' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => [entry.outcome, entry.target, entry.error])).toEqual([
        ['denied', url, 'FORBIDDEN'],
        ['ok', 'capped', null],
        ...bad.map(() => ['failed', 'capped', 'VALIDATION_FAILED']),
        ['ok', 'capped', null],
        ['failed', 'never-seen', 'NOT_FOUND'],
      ]);
      expect(audit[1]!.params).toMatchObject({ limit: 2, before: null });
      expect(audit.at(-2)!.params).toMatchObject({ limit: null, before: 2 });
    } finally {
      await stack.close();
    }
  });

  postgresTest('dead letters: drop one by id, requeue the rest; gone ids are 404; a viewer changes nothing', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, producer, app } = stack;
      const worker = await stack.startWorker();
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      const rejected = await Promise.all(['a', 'b', 'c'].map((reason) => producer.sendTask('tests.reject', [reason])));
      for (const task of rejected) await taskInState(gateway, task.id, ['REJECTED']);
      await worker.close();
      const letters = await app.queues.deadLetters('default');
      expect(letters).toHaveLength(3);

      const denied = await viewer.request('POST', '/api/v1/dead-letters/drop', { body: { queue: 'default', ids: [letters[0]!.id] } });
      expect(denied.status).toBe(403);
      expect(await app.queues.deadLetters('default')).toHaveLength(3);

      const dropped = await operator.request('POST', '/api/v1/dead-letters/drop', { body: { queue: 'default', ids: [letters[0]!.id, 'not-a-letter'] } });
      expect(dropped.status).toBe(200);
      expect(await dropped.json()).toEqual({ queue: 'default', count: 1, missing: 1 });
      const gone = await operator.request('POST', '/api/v1/dead-letters/drop', { body: { queue: 'default', ids: [letters[0]!.id] } });
      expect(gone.status).toBe(404);

      const requeued = await operator.request('POST', '/api/v1/dead-letters/requeue', { body: { queue: 'default', all: true } });
      expect(await requeued.json()).toEqual({ queue: 'default', count: 2, missing: 0 });
      expect(await app.queues.deadLetters('default')).toHaveLength(0);
      expect((await app.queues.stats('default')).ready).toBe(2);

      const neither = await operator.request('POST', '/api/v1/dead-letters/requeue', { body: { queue: 'default' } });
      expect({ status: neither.status, field: (await errorOf(neither)).field }).toEqual({ status: 400, field: 'ids' });
      const noQueue = await operator.request('POST', '/api/v1/dead-letters/requeue', { body: { ids: ['x'] } });
      expect({ status: noQueue.status, field: (await errorOf(noQueue)).field }).toEqual({ status: 400, field: 'queue' });
      const unknownQueue = await operator.request('POST', '/api/v1/dead-letters/requeue', { body: { queue: 'nope', all: true } });
      expect(unknownQueue.status).toBe(404);

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: { startsWith: 'deadLetters.' } }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => `${entry.action}:${entry.outcome}`)).toEqual([
        'deadLetters.drop:denied',
        'deadLetters.drop:ok',
        'deadLetters.drop:failed',
        'deadLetters.requeue:ok',
        'deadLetters.requeue:failed',
        'deadLetters.requeue:failed',
        'deadLetters.requeue:failed',
      ]);
    } finally {
      await stack.close();
    }
  });
});

describe('worker control', () => {
  postgresTest('an operator resizes the pool and sets a rate limit on one live worker; shutdown needs admin and stops it', async ({ postgres }) => {
    const stack = await startStack(postgres.url);
    try {
      const { gateway, app } = stack;
      const worker = await stack.startWorker({ hostname: 'w-control@test', concurrency: 2 });
      const viewer = await signedIn(gateway, 'viewer');
      const operator = await signedIn(gateway, 'operator');
      const admin = await signedIn(gateway, 'admin');
      const url = `/api/v1/workers/${encodeURIComponent('w-control@test')}/control`;

      const denied = await viewer.request('POST', url, { body: { command: 'pool_grow', arguments: { n: 3 } } });
      expect(denied.status).toBe(403);
      const before = (await app.control.inspect({ destination: 'w-control@test', timeout: 2_000 }).stats())['w-control@test'];
      expect(before?.pool.size).toBe(2);

      const grown = await operator.request('POST', url, { body: { command: 'pool_grow', arguments: { n: 3 } } });
      expect(grown.status).toBe(200);
      expect(await grown.json()).toMatchObject({ hostname: 'w-control@test', command: 'pool_grow', reply: expect.any(String) as string });
      const after = (await app.control.inspect({ destination: 'w-control@test', timeout: 2_000 }).stats())['w-control@test'];
      expect(after?.pool.size).toBe(5);

      const limited = await operator.request('POST', url, { body: { command: 'rate_limit', arguments: { task: 'tests.add', rate: '10/s' } } });
      expect(limited.status).toBe(200);
      const stats = (await app.control.inspect({ destination: 'w-control@test', timeout: 2_000 }).stats())['w-control@test'];
      expect(stats?.rateLimits['tests.add']).toBe('10/s');

      const refused = await operator.request('POST', url, { body: { command: 'cancel_consumer', arguments: { queue: 'default' } } });
      expect(refused.status).toBe(409);
      expect((await errorOf(refused)).code).toBe('WORKER_REFUSED');

      const cases: [unknown, string][] = [
        [{ command: 'reboot' }, 'command'],
        [{ command: 'add_consumer', arguments: {} }, 'arguments.queue'],
        [{ command: 'rate_limit', arguments: { task: 'tests.add', rate: 'fast' } }, 'arguments.rate'],
        [{ command: 'pool_grow', arguments: { n: 0 } }, 'arguments.n'],
      ];
      for (const [payload, field] of cases) {
        const response = await operator.request('POST', url, { body: payload });
        expect({ status: response.status, field: (await errorOf(response)).field }).toEqual({ status: 400, field });
      }
      const unknown = await operator.request('POST', '/api/v1/workers/nobody@nowhere/control', { body: { command: 'pool_grow' } });
      expect(unknown.status).toBe(404);

      const operatorShutdown = await operator.request('POST', url, { body: { command: 'shutdown' } });
      expect(operatorShutdown.status).toBe(403);
      expect((await app.control.workers()).map((w) => w.hostname)).toContain('w-control@test');

      let closed = false;
      worker.onClosed(() => {
        closed = true;
      });
      const shutdown = await admin.request('POST', url, { body: { command: 'shutdown' } });
      expect(shutdown.status).toBe(200);
      await until(() => closed, 'worker closed after shutdown');

      const audit = await gateway.prisma.auditLog.findMany({ where: { action: 'worker.control' }, orderBy: { id: 'asc' } });
      expect(audit.map((entry) => entry.outcome)).toEqual(['denied', 'ok', 'ok', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'denied', 'ok']);
      expect(audit.at(-1)).toMatchObject({ target: 'w-control@test', params: { command: 'shutdown' } });
    } finally {
      await stack.close();
    }
  });
});
