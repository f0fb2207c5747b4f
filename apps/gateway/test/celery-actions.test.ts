// Operator actions on a Python Celery cluster, over its pidbox: a real Celery
// 5.2.6 prefork worker, and a gateway that watches only that cluster (no
// Lovage app of its own). Each action is role-checked and audited like the
// Lovage ones; what it did is checked where a person would see it.
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { postgresTest } from '@lovage/test-support/postgres';
import { cleanupPeer, peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { describe, expect } from 'vitest';
import type { AuditPage, QueueList, ScheduleDetail, ScheduleList, TaskDetail, TaskDetailResponse, TaskPage, WorkerList } from '../src/api/schemas.js';
import { loadConfig } from '../src/config.js';
import { connectLive, errorOf, signedIn, startGateway, type Client, type LiveSocket } from './support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

async function stateOf(client: Client, id: string): Promise<TaskDetail['state'] | undefined> {
  const response = await client.request('GET', `/api/v1/tasks/${id}`);
  if (response.status === 404) return undefined;
  return ((await response.json()) as TaskDetailResponse).task.state;
}

async function poolSizeOf(client: Client, hostname: string): Promise<number | null | undefined> {
  const list = (await (await client.request('GET', '/api/v1/workers')).json()) as WorkerList;
  return list.workers.find((w) => w.hostname === hostname)?.poolSize;
}

describe('acting on a Python Celery cluster through its pidbox', () => {
  postgresTest(
    'grows the pool of a prefork worker, refuses what the worker refuses, revokes and terminates a running task, shuts the worker down; each audited',
    async ({ postgres }) => {
      const config = peerConfig('gwactions');
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `py=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix });
      const gateway = await startGateway(postgres.url, { celery: env.celery, celeryClusters: { statsIntervalMs: 1_000 } });
      const redis = new Redis(redisUrl);
      let worker: CeleryWorker | undefined;
      const ids: string[] = [];
      try {
        worker = await startCeleryWorker({ config, name: 'gwactions', events: true, pool: 'prefork', concurrency: 2 });
        const hostname = worker.hostname;
        const viewer = await signedIn(gateway, 'viewer');
        const operator = await signedIn(gateway, 'operator');
        const admin = await signedIn(gateway, 'admin');
        await expect.poll(() => poolSizeOf(viewer, hostname), { timeout: 60_000, interval: 250 }).toBe(2);
        const control = (client: Client, body: unknown) => client.request('POST', `/api/v1/workers/${encodeURIComponent(hostname)}/control`, { body });

        // A viewer may not act.
        expect((await control(viewer, { command: 'pool_grow', arguments: { n: 1 } })).status).toBe(403);
        const grown = await control(operator, { command: 'pool_grow', arguments: { n: 1 } });
        expect(grown.status).toBe(200);
        expect(await grown.json()).toMatchObject({ hostname, command: 'pool_grow', reply: expect.stringMatching(/pool will grow/) as unknown });
        // The worker's own `inspect stats` lists three processes, and so does its row.
        await expect
          .poll(
            async () =>
              (
                await runPythonJson<number>(
                  `
import json, sys
from peer_project import app
stats = app.control.inspect(destination=[sys.argv[1]], timeout=1).stats() or {}
print(json.dumps(len(stats.get(sys.argv[1], {}).get('pool', {}).get('processes', []))))
`,
                  config,
                  { args: [hostname] },
                )
              ),
            { timeout: 60_000, interval: 500 },
          )
          .toBe(3);
        await expect.poll(() => poolSizeOf(viewer, hostname), { timeout: 30_000, interval: 250 }).toBe(3);

        // The worker was not started with --autoscale: it says so, and the gateway passes that on.
        const autoscale = await control(operator, { command: 'autoscale', arguments: { max: 4, min: 1 } });
        expect(autoscale.status).toBe(409);
        expect(await errorOf(autoscale)).toMatchObject({ code: 'WORKER_REFUSED', message: expect.stringMatching(/Autoscale not enabled/) as unknown });

        // Consume one more queue: the worker's row lists it (its active_queues, asked after the command).
        const extraQueue = `${config.queue}-extra`;
        const consumer = await control(operator, { command: 'add_consumer', arguments: { queue: extraQueue } });
        expect(consumer.status).toBe(200);
        await expect
          .poll(async () => ((await (await viewer.request('GET', '/api/v1/workers')).json()) as WorkerList).workers.find((w) => w.hostname === hostname)?.queues.sort(), {
            timeout: 30_000,
            interval: 250,
          })
          .toEqual([config.queue, extraQueue].sort());
        // Flower's own route, as a Flower script calls it, reaches the Python worker over the same pidbox.
        const limited = await operator.request('POST', `/api/task/rate-limit/peer.add?workername=${encodeURIComponent(hostname)}&ratelimit=10/m`);
        expect(limited.status).toBe(200);
        expect(await limited.json()).toEqual({ message: expect.stringMatching(/rate limit set/) as unknown });
        const unknownTask = await control(operator, { command: 'time_limit', arguments: { task: 'peer.unknown', soft: '30s' } });
        expect({ status: unknownTask.status, code: (await errorOf(unknownTask)).code }).toEqual({ status: 409, code: 'WORKER_REFUSED' });

        // Revoke with terminate stops a running Python task.
        const sent = await runPythonJson<{ id: string }>(
          `
import json
from peer_project.tasks import sleep
print(json.dumps({'id': sleep.delay(120).id}))
`,
          config,
        );
        ids.push(sent.id);
        await expect.poll(() => stateOf(viewer, sent.id), { timeout: 60_000, interval: 200 }).toBe('STARTED');
        const revoked = await operator.request('POST', `/api/v1/tasks/${sent.id}/revoke`, { body: { terminate: true } });
        expect(revoked.status).toBe(200);
        expect(await revoked.json()).toEqual({ id: sent.id, terminate: true, previousState: 'STARTED' });
        await expect.poll(() => stateOf(viewer, sent.id), { timeout: 60_000, interval: 200 }).toBe('REVOKED');

        // Shutting a worker down needs the admin role.
        expect((await control(operator, { command: 'shutdown' })).status).toBe(403);
        const shutdown = await control(admin, { command: 'shutdown' });
        expect(shutdown.status).toBe(200);
        await expect.poll(() => worker!.exited, { timeout: 60_000, interval: 250 }).toBe(true);

        const audit = (await (await admin.request('GET', '/api/v1/audit?limit=50')).json()) as AuditPage;
        const entries = audit.entries.map((e) => ({ action: e.action, target: e.target, outcome: e.outcome, error: e.error }));
        expect(entries).toEqual(
          expect.arrayContaining([
            { action: 'worker.control', target: hostname, outcome: 'denied', error: 'FORBIDDEN' },
            { action: 'worker.control', target: hostname, outcome: 'ok', error: null },
            { action: 'worker.control', target: hostname, outcome: 'failed', error: 'WORKER_REFUSED' },
            { action: 'task.revoke', target: sent.id, outcome: 'ok', error: null },
          ]),
        );
      } finally {
        await gateway.close();
        await worker?.stop(3_000);
        await cleanupPeer(redis, config, ids.map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
      }
    },
    240_000,
  );

  postgresTest(
    'applies a Python task by name with JSON args and kwargs, retries a failed one from its result_extended args, shows a queue (live too) and purges it',
    async ({ postgres }) => {
      const config = peerConfig('gwapply', { resultExtended: true });
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `py=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix });
      const gateway = await startGateway(postgres.url, { celery: env.celery, celeryClusters: { statsIntervalMs: 0 } });
      const redis = new Redis(redisUrl);
      let worker: CeleryWorker | undefined;
      let socket: LiveSocket | undefined;
      const ids: string[] = [];
      try {
        worker = await startCeleryWorker({ config, name: 'gwapply', events: true });
        const operator = await signedIn(gateway, 'operator');
        const apply = async (body: Record<string, unknown>) => {
          const response = await operator.request('POST', '/api/v1/tasks', { body: { cluster: 'py', options: { queue: config.queue }, ...body } });
          return { status: response.status, body: (await response.json()) as { id: string; queue: string } };
        };
        const taskOf = async (id: string) => {
          const response = await operator.request('GET', `/api/v1/tasks/${id}`);
          return response.status === 404 ? undefined : ((await response.json()) as TaskDetailResponse).task;
        };

        const described = await apply({ task: 'peer.describe', args: [1, 'two'], kwargs: { flag: true } });
        expect(described).toMatchObject({ status: 201, body: { queue: config.queue } });
        ids.push(described.body.id);
        await expect.poll(async () => (await taskOf(described.body.id))?.state, { timeout: 60_000, interval: 200 }).toBe('SUCCESS');
        const done = (await taskOf(described.body.id))!;
        expect(done).toMatchObject({ name: 'peer.describe', args: "(1, 'two')", cluster: 'py', worker: worker.hostname });
        expect(done.resultPreview).toContain("'kwarg_types': {'flag': 'bool'}");

        expect((await apply({ task: 'peer.nothing-like-this' })).status).toBe(404);

        const failed = await apply({ task: 'peer.fail', args: ['card declined'] });
        ids.push(failed.body.id);
        await expect.poll(async () => (await taskOf(failed.body.id))?.state, { timeout: 60_000, interval: 200 }).toBe('FAILURE');
        const retry = await operator.request('POST', `/api/v1/tasks/${failed.body.id}/retry`);
        expect(retry.status).toBe(201);
        const { retriedIntoId } = (await retry.json()) as { retriedIntoId: string };
        ids.push(retriedIntoId);
        // The re-run got the same JSON args (and failed the same way), linked both ways.
        await expect.poll(async () => (await taskOf(retriedIntoId))?.state, { timeout: 60_000, interval: 200 }).toBe('FAILURE');
        expect(await taskOf(retriedIntoId)).toMatchObject({ name: 'peer.fail', args: "('card declined',)", errorMessage: 'card declined', cluster: 'py', retriedFromId: failed.body.id });
        expect(await taskOf(failed.body.id)).toMatchObject({ retriedIntoId });
        // A replay with edited args and kwargs sends those (the result is not read for them), linked the same way.
        const replay = await operator.request('POST', `/api/v1/tasks/${retriedIntoId}/retry`, { body: { args: ['edited'], kwargs: {} } });
        expect(replay.status).toBe(201);
        const replayed = ((await replay.json()) as { retriedIntoId: string }).retriedIntoId;
        ids.push(replayed);
        await expect.poll(async () => (await taskOf(replayed))?.state, { timeout: 60_000, interval: 200 }).toBe('FAILURE');
        expect(await taskOf(replayed)).toMatchObject({ name: 'peer.fail', args: "('edited',)", errorMessage: 'edited', cluster: 'py', retriedFromId: retriedIntoId });
        // The send dialog's names: what the cluster's live workers register.
        const registered = (await (await operator.request('GET', '/api/v1/tasks/registered')).json()) as { tasks: { name: string; cluster: string | null }[] };
        expect(registered.tasks).toContainEqual({ name: 'peer.fail', cluster: 'py' });

        // A task with an ETA an hour ahead waits in the worker (delayed); the workers' intake makes the queue's rates.
        const queueOf = async () => {
          const list = (await (await operator.request('GET', '/api/v1/queues')).json()) as QueueList;
          return list.queues.find((q) => q.cluster === 'py' && q.name === config.queue);
        };
        const later = await apply({ task: 'peer.describe', args: ['later'], options: { queue: config.queue, countdown: '1h' } });
        ids.push(later.body.id);
        await expect
          .poll(async () => {
            const queue = await queueOf();
            return queue && { delayed: queue.delayed, moving: queue.enqueuedPerMinute > 0 && queue.dequeuedPerMinute > 0, history: queue.history.length > 0 };
          }, { timeout: 30_000, interval: 250 })
          .toEqual({ delayed: 1, moving: true, history: true });

        // With the worker gone, messages wait (the ETA task too: a stopping worker gives back what it held),
        // the queue's depth counts every priority list, and purge empties them all.
        await worker.stop();
        for (const priority of [0, 5, 9]) expect((await apply({ task: 'peer.describe', args: [priority], options: { queue: config.queue, priority } })).status).toBe(201);
        const depth = async () => {
          const list = (await (await operator.request('GET', '/api/v1/queues')).json()) as QueueList;
          return list.queues.find((q) => q.cluster === 'py' && q.name === config.queue)?.ready;
        };
        expect(await depth()).toBe(4);
        // The live queues room carries the cluster's queues too (a gateway with no Lovage app of its own).
        socket = await connectLive(gateway, operator);
        const live: number[] = [];
        socket.on('queues:update', ({ queues }) => {
          const queue = queues.find((q) => q.cluster === 'py' && q.name === config.queue);
          if (queue) live.push(queue.ready);
        });
        expect(await socket.timeout(5_000).emitWithAck('subscribe', { room: 'queues' })).toEqual({ ok: true, room: 'queues' });
        await expect.poll(() => live.at(-1), { timeout: 30_000, interval: 100 }).toBe(4);
        expect((await operator.request('POST', `/api/v1/queues/${config.queue}/purge?cluster=py`)).status).toBe(403);
        const admin = await signedIn(gateway, 'admin');
        const purged = await admin.request('POST', `/api/v1/queues/${config.queue}/purge?cluster=py`);
        expect(await purged.json()).toEqual({ queue: config.queue, purged: 4, cluster: 'py' });
        expect(await depth()).toBe(0);
        await expect.poll(() => live.at(-1), { timeout: 30_000, interval: 100 }).toBe(0);
        expect((await admin.request('POST', `/api/v1/queues/no-such-queue/purge?cluster=py`)).status).toBe(404);
      } finally {
        socket?.close();
        await gateway.close();
        await worker?.stop(3_000);
        await cleanupPeer(redis, config, ids.map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
      }
    },
    240_000,
  );

  postgresTest(
    "shows and edits the schedules of the cluster's Lovage beat (protocol 'celery'): an edit reaches the beat, and Run now runs on the Python worker",
    async ({ postgres }) => {
      const config = peerConfig('gwbeat');
      const beatPrefix = uniquePrefix('gw-celery-beat');
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `py=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix, LOVAGE_CELERY_BEAT_PREFIX: beatPrefix });
      const gateway = await startGateway(postgres.url, { celery: env.celery, celeryClusters: { statsIntervalMs: 0 } });
      // The cluster's beat: Lovage in Celery mode, declaring one schedule in code (hourly, so only Run now fires it here).
      const beatApp = new Lovage({
        protocol: 'celery',
        broker: config.brokerUrl,
        celeryKeyPrefix: config.keyPrefix,
        defaultQueue: config.queue,
        prefix: beatPrefix,
        logLevel: 'silent',
        beatSchedule: { 'py-describe': { task: 'peer.describe', schedule: '1h', args: ['from beat'], queue: config.queue } },
      });
      const beat = beatApp.beat();
      const redis = new Redis(redisUrl);
      let worker: CeleryWorker | undefined;
      const ids: string[] = [];
      try {
        await beat.start();
        worker = await startCeleryWorker({ config, name: 'gwbeat', events: true });
        const viewer = await signedIn(gateway, 'viewer');
        const operator = await signedIn(gateway, 'operator');

        const list = (await (await viewer.request('GET', '/api/v1/schedules')).json()) as ScheduleList;
        expect(list.available).toBe(true);
        expect(list.schedules).toEqual([expect.objectContaining({ name: 'py-describe', task: 'peer.describe', source: 'code', cluster: 'py', args: ['from beat'] })]);
        const detail = (await (await viewer.request('GET', '/api/v1/schedules/py-describe?cluster=py')).json()) as ScheduleDetail;
        expect(detail.schedule).toMatchObject({ name: 'py-describe', cluster: 'py' });
        expect(detail.nextRuns).toHaveLength(5);
        // This gateway has no app of its own, and watches no cluster named "nope".
        expect((await errorOf(await viewer.request('GET', '/api/v1/schedules/py-describe'))).code).toBe('NO_ENGINE');
        expect((await viewer.request('GET', '/api/v1/schedules/py-describe?cluster=nope')).status).toBe(404);

        const edit = { task: 'peer.describe', schedule: '1h', args: ['edited'], queue: config.queue, version: detail.schedule.version };
        expect((await viewer.request('PUT', '/api/v1/schedules/py-describe?cluster=py', { body: edit })).status).toBe(403);
        const edited = await operator.request('PUT', '/api/v1/schedules/py-describe?cluster=py', { body: edit });
        expect(edited.status).toBe(200);
        expect(((await edited.json()) as { schedule: { cluster: string | null } }).schedule.cluster).toBe('py');
        // The beat reads the same store.
        expect((await beatApp.schedules.get('py-describe'))?.args).toEqual(['edited']);

        // Run now: the beat leader sends it as a protocol v2 message, the Python worker runs it, its events show it.
        expect((await operator.request('POST', '/api/v1/schedules/py-describe/run?cluster=py')).status).toBe(202);
        await expect
          .poll(
            async () => {
              const page = (await (await viewer.request('GET', '/api/v1/tasks?name=peer.describe&cluster=py')).json()) as TaskPage;
              ids.push(...page.tasks.map((task) => task.id));
              return page.tasks.map((task) => [task.state, task.args]);
            },
            { timeout: 60_000, interval: 250 },
          )
          .toContainEqual(['SUCCESS', "['edited']"]);

        const paused = await operator.request('POST', '/api/v1/schedules/py-describe/disable?cluster=py', { body: {} });
        expect(paused.status).toBe(200);
        expect((await beatApp.schedules.get('py-describe'))?.enabled).toBe(false);
        // Audited with the cluster whose beat was edited.
        const audit = (await (await (await signedIn(gateway, 'admin')).request('GET', '/api/v1/audit?limit=50')).json()) as AuditPage;
        const edits = audit.entries.filter((entry) => entry.action.startsWith('schedule.') && entry.outcome === 'ok');
        expect(edits.map((entry) => [entry.action, entry.target, (entry.params as { cluster?: string } | null)?.cluster]).sort()).toEqual([
          ['schedule.disable', 'py-describe', 'py'],
          ['schedule.run', 'py-describe', 'py'],
          ['schedule.update', 'py-describe', 'py'],
        ]);
      } finally {
        await beat.close();
        await gateway.close();
        await worker?.stop(3_000);
        await beatApp.close();
        await deleteKeysWithPrefix(redis, beatPrefix);
        await cleanupPeer(redis, config, [...new Set(ids)].map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
      }
    },
    240_000,
  );
});
