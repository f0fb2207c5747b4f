// The gateway watching a Python Celery cluster: a real Celery 5.2.6 worker (-E)
// on its own kombu key prefix, a Python producer, and a gateway configured
// with LOVAGE_CELERY_BROKER_URL and LOVAGE_CELERY_KEY_PREFIX. Everything is
// checked through the REST API, as the dashboard reads it.
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { postgresTest } from '@lovage/test-support/postgres';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { cleanupPeer, peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { describe, expect } from 'vitest';
import type { WorkerList } from '../src/api/schemas.js';
import { loadConfig } from '../src/config.js';
import { settled, taskOf } from './celery-support.js';
import { errorOf, signedIn, startGateway } from './support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('watching a Python Celery cluster', () => {
  postgresTest(
    "shows a Python worker's tasks (args as repr, result, traceback, each retry) and the worker itself, with the cluster's name, offline once killed",
    async ({ postgres }) => {
      const config = peerConfig('gwcelery');
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `python-peer=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix });
      // Its own Lovage app too, as a gateway beside a mixed cluster has: the operator actions need one.
      const ownPrefix = uniquePrefix('gwcelery-own');
      const own = new Lovage({ broker: redisUrl, prefix: ownPrefix, logLevel: 'silent' });
      const gateway = await startGateway(postgres.url, { celery: env.celery, app: own, celeryClusters: { statsIntervalMs: 1_000 } });
      const redis = new Redis(redisUrl);
      let worker: CeleryWorker | undefined;
      const ids: string[] = [];
      try {
        // The gateway subscribes before the worker starts, so it sees worker-online too.
        worker = await startCeleryWorker({ config, name: 'gwcelery', events: true });
        const sent = await runPythonJson<{ add: string; fail: string; retry: string }>(
          `
import json
from peer_project.tasks import add, fail, retry
print(json.dumps({
    'add': add.delay(2, 3).id,
    'fail': fail.delay('card declined').id,
    'retry': retry.delay(2).id,
}))
`,
          config,
        );
        ids.push(sent.add, sent.fail, sent.retry);
        const client = await signedIn(gateway, 'viewer');

        const added = await settled(client, sent.add, 'SUCCESS');
        expect(added).toMatchObject({
          name: 'peer.add',
          args: '(2, 3)',
          kwargs: '{}',
          resultPreview: '5',
          worker: worker.hostname,
          cluster: 'python-peer',
          errorName: null,
        });
        expect(added.attempts).toMatchObject([{ attempt: 1, outcome: 'SUCCESS', worker: worker.hostname }]);

        const failed = await settled(client, sent.fail, 'FAILURE');
        expect(failed).toMatchObject({
          name: 'peer.fail',
          args: "('card declined',)",
          errorName: 'PeerTaskError',
          errorMessage: 'card declined',
          cluster: 'python-peer',
        });
        expect(failed.errorStack).toMatch(/Traceback \(most recent call last\)[\s\S]*raise PeerTaskError\(message\)[\s\S]*PeerTaskError: card declined/);
        expect(failed.attempts).toMatchObject([{ attempt: 1, outcome: 'FAILURE', errorName: 'PeerTaskError' }]);
        // Its args are Python text, so the monitor refuses to send it again (it says why).
        const operator = await signedIn(gateway, 'operator');
        const retry = await operator.request('POST', `/api/v1/tasks/${sent.fail}/retry`);
        expect({ status: retry.status, code: (await errorOf(retry)).code }).toEqual({ status: 409, code: 'CELERY_TASK' });

        const retried = await settled(client, sent.retry, 'SUCCESS');
        expect(retried).toMatchObject({ name: 'peer.retry', args: '(2,)', resultPreview: '3', retries: 2, cluster: 'python-peer' });
        // Each task-retried closes its own attempt, with the Retry's traceback; the third run succeeds.
        await expect.poll(async () => (await taskOf(client, sent.retry))?.attempts.map((a) => a.outcome), { timeout: 30_000 }).toEqual(['RETRY', 'RETRY', 'SUCCESS']);
        const history = (await taskOf(client, sent.retry))!.attempts;
        for (const attempt of history.slice(0, 2)) {
          expect(attempt).toMatchObject({ worker: worker.hostname, errorName: 'Retry' });
          expect(attempt.errorStack).toMatch(/Traceback[\s\S]*raise self\.retry\(countdown=0\)/);
        }

        const workers = await client.request('GET', '/api/v1/workers');
        expect(workers.status).toBe(200);
        const python = ((await workers.json()) as WorkerList).workers.find((w) => w.hostname === worker!.hostname);
        expect(python).toMatchObject({ online: true, cluster: 'python-peer' });
        expect(python?.version).toMatch(/^py-celery 5\.2\.6/);
        // Its events count no outcomes and carry no memory: the row counts its tasks' and reads `inspect stats`.
        // (add and retry succeeded, fail failed; the two retries are neither.)
        await expect
          .poll(
            async () => {
              const list = (await (await client.request('GET', '/api/v1/workers')).json()) as WorkerList;
              const row = list.workers.find((w) => w.hostname === worker!.hostname);
              return row && { succeeded: row.succeeded, failed: row.failed, hasMemory: (row.memoryRss ?? 0) > 10_000_000 };
            },
            { timeout: 30_000, interval: 250 },
          )
          .toEqual({ succeeded: 2, failed: 1, hasMemory: true });
        expect(gateway.celery[0]!.status()).toMatchObject({ cluster: 'python-peer', state: 'running', malformed: 0 });
        const health = await fetch(`${gateway.url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ status: 'ok', celery: [{ cluster: 'python-peer', state: 'running', lastError: null }] });

        // A worker killed without a word (no worker-offline) goes offline once it misses its heartbeats.
        process.kill(worker.pid, 'SIGKILL');
        await expect
          .poll(
            async () => {
              const list = (await (await client.request('GET', '/api/v1/workers')).json()) as WorkerList;
              return list.workers.find((w) => w.hostname === worker!.hostname)?.online;
            },
            { timeout: 30_000, interval: 250 },
          )
          .toBe(false);
      } finally {
        await worker?.stop();
        await gateway.close();
        await own.close();
        await deleteKeysWithPrefix(redis, ownPrefix);
        await cleanupPeer(redis, config, ids.map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
      }
    },
    180_000,
  );

  postgresTest('starts while a watched broker does not answer, and reports the cluster as failing', async ({ postgres }) => {
    const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: 'down=redis://127.0.0.1:1/0' });
    const gateway = await startGateway(postgres.url, { celery: env.celery });
    try {
      const health = await fetch(`${gateway.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded', database: { ok: true }, celery: [{ cluster: 'down', state: 'failing', lastError: expect.any(String) as unknown }] });
    } finally {
      await gateway.close();
    }
  });

  postgresTest(
    'writes batches side by side and loses nothing: each task ends in its final state, and a batch Postgres refuses is retried, then written event by event with only the refused event skipped',
    async ({ postgres }) => {
      const config = peerConfig('gwwriters');
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `writers=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix });
      // Small batches, so 901 events make 19 of them and three are written at once.
      const gateway = await startGateway(postgres.url, { celery: env.celery, celeryEvents: { maxBatch: 50, writers: 3 } });
      const redis = new Redis(redisUrl);
      try {
        const source = gateway.celery[0]!;
        const channel = `${config.keyPrefix}/0.celeryev/task.multi`;
        const sender = { hostname: 'celery@writers', utcoffset: 0, pid: 42 };
        let clock = 0;
        const at = Date.now() / 1000;
        const event = (type: string, uuid: string, fields: Record<string, unknown>) => ({ ...sender, clock: ++clock, uuid, ...fields, timestamp: at + clock / 1000, type });
        const publish = (events: unknown[]) => {
          const body = Buffer.from(JSON.stringify(events)).toString('base64');
          const properties = { delivery_info: { exchange: 'celeryev', routing_key: 'task.multi' }, delivery_mode: 1, delivery_tag: `tag-${clock}`, body_encoding: 'base64', priority: 0 };
          return redis.publish(channel, JSON.stringify({ body, 'content-encoding': 'utf-8', 'content-type': 'application/json', headers: { hostname: sender.hostname }, properties }));
        };
        // 300 tasks, 20 at a time: their received, started and succeeded events follow each
        // other, so one task's events fall into neighbouring batches written at the same time.
        const ids = Array.from({ length: 300 }, (_, i) => `writers-${i}`);
        for (let i = 0; i < ids.length; i += 20) {
          const group = ids.slice(i, i + 20);
          await publish(group.map((id) => event('task-received', id, { name: 'proj.add', args: '(1, 2)', kwargs: '{}', retries: 0, root_id: id, parent_id: null, eta: null, expires: null })));
          await publish(group.map((id) => event('task-started', id, {})));
          await publish(group.map((id) => event('task-succeeded', id, { result: '3', runtime: 0.01 })));
          // A lone surrogate, which JSON carries but Postgres refuses, in the middle of the burst.
          if (i === 140) await publish([event('task-received', 'refused-1', { name: 'proj.add', args: "('\ud800',)", kwargs: '{}', retries: 0, root_id: null, parent_id: null, eta: null, expires: null })]);
        }
        await expect.poll(() => source.status().eventsApplied, { timeout: 60_000, interval: 100 }).toBe(900);
        const tasks = await gateway.prisma.task.groupBy({ by: ['state'], where: { cluster: 'writers' }, _count: true });
        expect(tasks).toEqual([{ state: 'SUCCESS', _count: 300 }]);
        expect(await gateway.prisma.taskAttempt.count({ where: { taskId: { in: ids }, outcome: 'SUCCESS', attempt: 1 } })).toBe(300);
        expect(source.status()).toMatchObject({ state: 'running', malformed: 0, dropped: 0 });
      } finally {
        await gateway.close();
        redis.disconnect();
      }
    },
  );

  postgresTest('logs and skips a message that is not a Celery event, and keeps ingesting', async ({ postgres }) => {
    const config = peerConfig('gwmalformed');
    const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: config.brokerUrl, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix });
    const gateway = await startGateway(postgres.url, { celery: env.celery });
    const redis = new Redis(redisUrl);
    try {
      const source = gateway.celery[0]!;
      expect(source.cluster).toBe('127.0.0.1:6379/0');
      const channel = `${config.keyPrefix}/0.celeryev/task.multi`;
      await redis.publish(channel, 'not json at all');
      await redis.publish(channel, JSON.stringify({ body: 'e30=', properties: {} }));
      const event = { hostname: 'celery@host', utcoffset: 0, pid: 42, clock: 7, uuid: 'py-task-1', name: 'proj.add', args: '(1, 2)', kwargs: '{}', retries: 0, root_id: null, parent_id: null, eta: null, expires: null, timestamp: Date.now() / 1000, type: 'task-received' };
      const body = Buffer.from(JSON.stringify([event])).toString('base64');
      const envelope = { body, 'content-encoding': 'utf-8', 'content-type': 'application/json', headers: { hostname: 'celery@host' }, properties: { delivery_info: { exchange: 'celeryev', routing_key: 'task.multi' }, delivery_mode: 1, delivery_tag: 'tag-1', body_encoding: 'base64', priority: 0 } };
      await redis.publish(channel, JSON.stringify(envelope));
      const client = await signedIn(gateway, 'viewer');
      const task = await settled(client, 'py-task-1', 'RECEIVED');
      expect(task).toMatchObject({ name: 'proj.add', args: '(1, 2)', worker: 'celery@host', cluster: '127.0.0.1:6379/0' });
      expect(source.status()).toMatchObject({ malformed: 2, state: 'running' });
    } finally {
      await gateway.close();
      redis.disconnect();
    }
  });
});
