// Flower's read endpoints answer in Flower's JSON shapes, to a bearer token as
// a Flower script would send, over data the ingest wrote and a real broker.
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { applyBatch } from '../src/ingest/apply-batch.js';
import { engineHarness, producer } from './ingest-support.js';
import { ADMIN, Client, errorOf, startGateway } from './support.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');

describe('Flower-compatible read API', () => {
  postgresTest('serves workers, tasks, task info, results and queue lengths as Flower does', async ({ postgres }) => {
    const harness = engineHarness();
    const app = harness.app();
    const gateway = await startGateway(postgres.url, { app, ingest: { consumer: 'flower-read', offlineSweepMs: 3_600_000 }, retention: false });
    try {
      const admin = new Client(gateway.url);
      await admin.login(ADMIN.email, ADMIN.password);
      const created = await admin.request('POST', '/api/v1/tokens', { body: { name: 'flower-script', role: 'viewer' } });
      const { token } = (await created.json()) as { token: string };
      const script = new Client(gateway.url);
      const get = async (path: string): Promise<Record<string, unknown>> => {
        const response = await script.request('GET', path, { headers: { authorization: `Bearer ${token}` } });
        if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
        return (await response.json()) as Record<string, unknown>;
      };

      const worker = producer('celery@host-1', 77, T0);
      const body = { queues: ['default', 'mail'], pool: { kind: 'threads', size: 4 }, software: { name: 'lovage', version: '0.1.0' }, active: 1, reserved: 0, processed: 2, succeeded: 1, failed: 1, retried: 0, loadavg: [1, 2, 3], rss: 2_048_000, uptime: 9, heartbeatInterval: 2_000 };
      await applyBatch(gateway.prisma, [
        worker({ type: 'worker-online', ...body }, 0),
        worker({ type: 'task-received', id: 'ok-1', name: 'tasks.add', queue: 'default', retries: 0, args: '[1,2]', deliveries: 1 }, 1_000),
        worker({ type: 'task-started', id: 'ok-1', name: 'tasks.add', queue: 'default', retries: 0 }, 1_100),
        worker({ type: 'task-succeeded', id: 'ok-1', name: 'tasks.add', queue: 'default', retries: 0, runtime: 400, result: '3' }, 1_500),
        worker({ type: 'task-received', id: 'bad-1', name: 'tasks.div', queue: 'mail', retries: 0, args: '[1,0]', deliveries: 1, parentId: 'ok-1', rootId: 'ok-1' }, 2_000),
        worker({ type: 'task-failed', id: 'bad-1', name: 'tasks.div', queue: 'mail', retries: 0, runtime: 10, parentId: 'ok-1', rootId: 'ok-1', error: { name: 'ZeroDivisionError', message: 'division by zero', stack: 'Traceback...' } }, 2_010),
        worker({ type: 'task-started', id: 'run-1', name: 'tasks.sleep', queue: 'default', retries: 0 }, 3_000),
      ]);

      // The offline sweep is held off: the worker stays as its last event left it.
      expect(await get('/api/workers?status=true')).toEqual({ 'celery@host-1': true });
      const workers = await get('/api/workers');
      expect(Object.keys(workers)).toEqual(['celery@host-1']);
      expect(workers['celery@host-1']).toMatchObject({
        stats: { pid: 77, pool: { 'max-concurrency': 4, implementation: 'threads' }, total: { processed: 2, succeeded: 1, failed: 1 }, rusage: { maxrss: 2_000 } },
        active_queues: [{ name: 'default' }, { name: 'mail' }],
        active: [{ id: 'run-1', name: 'tasks.sleep', hostname: 'celery@host-1', time_start: (T0 + 3_000) / 1_000 }],
        timestamp: T0 / 1_000,
      });
      const missingWorker = await script.request('GET', '/api/workers?workername=nobody', { headers: { authorization: `Bearer ${token}` } });
      expect(missingWorker.status).toBe(404);

      const tasks = await get('/api/tasks');
      expect(Object.keys(tasks)).toEqual(['run-1', 'bad-1', 'ok-1']);
      expect(tasks['ok-1']).toMatchObject({ uuid: 'ok-1', name: 'tasks.add', state: 'SUCCESS', args: '[1,2]', kwargs: '{}', result: '3', received: (T0 + 1_000) / 1_000, started: (T0 + 1_100) / 1_000, succeeded: (T0 + 1_500) / 1_000, runtime: 0.4, worker: 'celery@host-1', retries: 0, routing_key: 'default' });
      expect(tasks['bad-1']).toMatchObject({ state: 'FAILURE', exception: 'ZeroDivisionError("division by zero")', traceback: 'Traceback...', parent_id: 'ok-1', root_id: 'ok-1' });
      expect(Object.keys(await get('/api/tasks?state=FAILURE'))).toEqual(['bad-1']);
      expect(Object.keys(await get('/api/tasks?taskname=tasks.add&workername=celery%40host-1'))).toEqual(['ok-1']);
      expect(Object.keys(await get('/api/tasks?limit=1&offset=1'))).toEqual(['bad-1']);
      expect(Object.keys(await get('/api/tasks?received_start=2026-11-20%2010:00&received_end=2026-11-20T10:00:02.500Z'))).toEqual(['bad-1', 'ok-1']);
      expect(Object.keys(await get('/api/tasks?search=division'))).toEqual(['bad-1']);
      const badDate = await script.request('GET', '/api/tasks?received_start=tomorrow', { headers: { authorization: `Bearer ${token}` } });
      expect(badDate.status).toBe(400);
      expect((await errorOf(badDate)).field).toBe('received_start');

      expect(await get('/api/task/info/ok-1')).toMatchObject({ uuid: 'ok-1', state: 'SUCCESS', children: ['bad-1'] });
      const unknown = await script.request('GET', '/api/task/info/nope', { headers: { authorization: `Bearer ${token}` } });
      expect(unknown.status).toBe(404);

      // Results: from the result backend for tasks it knows, else from the database's preview.
      const square = app.task('flower.square', (n: number) => n * n);
      const w = app.worker({ concurrency: 1, hostname: 'flower-worker' });
      await w.start();
      try {
        const sent = await square.delay(7);
        expect(await get(`/api/task/result/${sent.id}?timeout=10`)).toEqual({ 'task-id': sent.id, state: 'SUCCESS', result: 49 });
      } finally {
        await w.close();
      }
      expect(await get('/api/task/result/ok-1')).toEqual({ 'task-id': 'ok-1', state: 'SUCCESS', result: 3 });
      expect(await get('/api/task/result/bad-1')).toEqual({ 'task-id': 'bad-1', state: 'FAILURE', result: 'ZeroDivisionError("division by zero")', traceback: 'Traceback...' });
      expect(await get('/api/task/result/never-seen')).toEqual({ 'task-id': 'never-seen', state: 'PENDING', result: null });

      const job = app.task('flower.job', () => null);
      await job.applyAsync([], { queue: 'flower-q' });
      await job.applyAsync([], { queue: 'flower-q' });
      const lengths = (await get('/api/queues/length')) as { active_queues: { name: string; messages: number }[] };
      expect(lengths.active_queues.find((q) => q.name === 'flower-q')).toEqual({ name: 'flower-q', messages: 2 });

      // Like every API endpoint but /healthz and /metrics, nothing without credentials.
      expect((await new Client(gateway.url).request('GET', '/api/tasks')).status).toBe(401);
      expect((await new Client(gateway.url).request('GET', '/api/workers')).status).toBe(401);
    } finally {
      await gateway.close();
      await harness.close();
    }
  });
});
