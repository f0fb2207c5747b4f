// The gateway watching a Celery cluster on RabbitMQ (LOVAGE_CELERY_BROKER_URL=amqp://…,
// results on Redis): a real Celery 5.2.6 worker (-E) and a Lovage worker in
// protocol 'celery' on the same vhost (one of the test's own). Events come
// from celeryev through the gateway's own queue, control goes over pidbox and
// queue depth through passive declares (the management plugin is not used).
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { postgresTest } from '@lovage/test-support/postgres';
import { peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { createRabbitVhost } from '@lovage/test-support/rabbitmq-vhost';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { describe, expect } from 'vitest';
import type { QueueList, WorkerList } from '../src/api/schemas.js';
import { loadConfig } from '../src/config.js';
import { settled } from './celery-support.js';
import { signedIn, startGateway } from './support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('watching a Celery cluster on RabbitMQ', () => {
  postgresTest(
    "shows the Python and Lovage workers' tasks and rows (stats over pidbox), sends to and purges a queue whose depth comes from passive declares",
    async ({ postgres }) => {
      const vhost = await createRabbitVhost('gateway');
      const config = peerConfig('gwrabbit', { brokerUrl: vhost.url, resultBackend: redisUrl });
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `rabbit=${vhost.url}`, LOVAGE_CELERY_RESULT_BACKEND: `rabbit=${redisUrl}` });
      const gateway = await startGateway(postgres.url, { celery: env.celery, celeryClusters: { statsIntervalMs: 1_000 } });
      const redis = new Redis(redisUrl);
      const prefix = uniquePrefix('gwrabbit-ts');
      const lovage = new Lovage({ protocol: 'celery', broker: vhost.url, backend: redisUrl, prefix, defaultQueue: `${config.queue}-ts`, logLevel: 'silent' });
      lovage.task('ts.add', (x: number, y: number) => x + y);
      let python: CeleryWorker | undefined;
      const ids: string[] = [];
      try {
        python = await startCeleryWorker({ config, name: 'gwrabbit', events: true });
        const tsWorker = lovage.worker({ concurrency: 2 });
        await tsWorker.start();
        const sent = await runPythonJson<{ py: string; ts: string }>(
          `
import json
from peer_project import app
from peer_project.tasks import add
print(json.dumps({'py': add.delay(2, 3).id, 'ts': app.send_task('ts.add', args=[4, 5], queue=${JSON.stringify(`${config.queue}-ts`)}).id}))
`,
          config,
        );
        ids.push(sent.py, sent.ts);
        const client = await signedIn(gateway, 'operator');
        expect(await settled(client, sent.py, 'SUCCESS')).toMatchObject({ name: 'peer.add', resultPreview: '5', worker: python.hostname, cluster: 'rabbit' });
        expect(await settled(client, sent.ts, 'SUCCESS')).toMatchObject({ name: 'ts.add', worker: tsWorker.hostname, cluster: 'rabbit' });

        // Both workers are rows of the cluster; the Python one's memory comes from `inspect stats` over pidbox.
        await expect
          .poll(
            async () => {
              const list = (await (await client.request('GET', '/api/v1/workers')).json()) as WorkerList;
              const py = list.workers.find((w) => w.hostname === python!.hostname);
              const ts = list.workers.find((w) => w.hostname === tsWorker.hostname);
              return { py: py && { online: py.online, cluster: py.cluster, memory: (py.memoryRss ?? 0) > 10_000_000 }, ts: ts && { online: ts.online, cluster: ts.cluster } };
            },
            { timeout: 60_000, interval: 250 },
          )
          .toEqual({ py: { online: true, cluster: 'rabbit', memory: true }, ts: { online: true, cluster: 'rabbit' } });
        expect(gateway.celery[0]!.status()).toMatchObject({ cluster: 'rabbit', state: 'running', malformed: 0 });

        // With the Python worker gone, what the gateway sends waits in the queue: its depth, then a purge.
        await python.stop();
        for (const n of [1, 2]) {
          const response = await client.request('POST', '/api/v1/tasks', { body: { cluster: 'rabbit', task: 'peer.add', args: [n, n], options: { queue: config.queue } } });
          expect(response.status).toBe(201);
          ids.push(((await response.json()) as { id: string }).id);
        }
        const depth = async () => {
          const list = (await (await client.request('GET', '/api/v1/queues')).json()) as QueueList;
          return list.queues.find((q) => q.cluster === 'rabbit' && q.name === config.queue)?.ready;
        };
        expect(await depth()).toBe(2);
        const admin = await signedIn(gateway, 'admin');
        const purged = await admin.request('POST', `/api/v1/queues/${config.queue}/purge?cluster=rabbit`);
        expect(await purged.json()).toEqual({ queue: config.queue, purged: 2, cluster: 'rabbit' });
        expect(await depth()).toBe(0);
      } finally {
        await gateway.close();
        await python?.stop(3_000);
        await lovage.close();
        await deleteKeysWithPrefix(redis, prefix);
        if (ids.length > 0) await redis.del(...ids.map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
        await vhost.drop();
      }
    },
    240_000,
  );
});
