// Nothing silently missing: Celery's events are pub/sub, so whatever happens
// while the gateway is down (or its subscription broken) is never sent to it.
// A real Celery 5.2.6 prefork worker runs Python tasks while the gateway is
// stopped; the next gateway reconciles from the result backend and from the
// worker's `inspect active`, and says so on GET /api/v1/clusters and /healthz.
// Also: the worker's pool, prefetch and queues from `inspect stats`.
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { postgresTest } from '@lovage/test-support/postgres';
import { cleanupPeer, peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { describe, expect } from 'vitest';
import type { CeleryClusterList, WorkerList } from '../src/api/schemas.js';
import { loadConfig } from '../src/config.js';
import type { Gateway } from '../src/server.js';
import { settled } from './celery-support.js';
import { signedIn, startGateway, type Client } from './support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** The test Redis's next database: where the peer stores its results in the reconciliation test. */
function resultBackendUrl(): string {
  const url = new URL(redisUrl);
  const db = Number(url.pathname.replace(/^\//, '') || '0');
  url.pathname = `/${(db + 1) % 16}`;
  return url.toString();
}

async function clusters(client: Client): Promise<CeleryClusterList['clusters']> {
  const response = await client.request('GET', '/api/v1/clusters');
  expect(response.status).toBe(200);
  return ((await response.json()) as CeleryClusterList).clusters;
}

describe('reconciling a Python Celery cluster after missed events', () => {
  postgresTest(
    'a task that finished while the gateway was down ends in its final state, one still running shows as started, and the gap is reported',
    async ({ postgres }) => {
      // Results in another database than the broker's: the gateway finds them through LOVAGE_CELERY_RESULT_BACKEND.
      const resultsUrl = resultBackendUrl();
      const config = peerConfig('gwreconcile', { resultBackend: resultsUrl });
      const env = loadConfig({ LOVAGE_CELERY_BROKER_URL: `py=${config.brokerUrl}`, LOVAGE_CELERY_KEY_PREFIX: config.keyPrefix, LOVAGE_CELERY_RESULT_BACKEND: `py=${resultsUrl}` });
      const options = { celery: env.celery, celeryClusters: { statsIntervalMs: 0 } };
      const redis = new Redis(redisUrl);
      const results = new Redis(resultsUrl);
      let gateway: Gateway | undefined = await startGateway(postgres.url, options);
      let worker: CeleryWorker | undefined;
      const ids: string[] = [];
      try {
        worker = await startCeleryWorker({ config, name: 'gwreconcile', events: true, pool: 'prefork', concurrency: 2 });
        const viewer = await signedIn(gateway, 'viewer');
        // The worker's pool and prefetch, from `inspect stats` asked when it came online.
        await expect
          .poll(
            async () => {
              const list = (await (await viewer.request('GET', '/api/v1/workers')).json()) as WorkerList;
              const row = list.workers.find((w) => w.hostname === worker!.hostname);
              return row && { poolKind: row.poolKind, poolSize: row.poolSize, prefetchCount: row.prefetchCount, queues: row.queues, maxConcurrency: row.maxConcurrency };
            },
            { timeout: 60_000, interval: 250 },
          )
          .toEqual({ poolKind: 'prefork', poolSize: 2, prefetchCount: 2, queues: [config.queue], maxConcurrency: 2 });

        const first = await runPythonJson<{ id: string }>(
          `
import json
from peer_project.tasks import sleep
print(json.dumps({'id': sleep.delay(3).id}))
`,
          config,
        );
        ids.push(first.id);
        await settled(viewer, first.id, 'STARTED');

        // The gateway stops; the task finishes unseen, and another starts unseen.
        await gateway.close();
        gateway = undefined;
        const second = await runPythonJson<{ id: string }>(
          `
import json
from peer_project.tasks import sleep
print(json.dumps({'id': sleep.delay(120).id}))
`,
          config,
        );
        ids.push(second.id);
        await expect
          .poll(async () => {
            const meta = await results.get(`celery-task-meta-${first.id}`);
            return meta === null ? null : (JSON.parse(meta) as { status: string }).status;
          }, { timeout: 60_000, interval: 200 })
          .toBe('SUCCESS');
        // Running: listed by `inspect active` (asked through Python, as an operator would check).
        await expect
          .poll(
            async () =>
              (
                await runPythonJson<string[]>(
                  `
import json
from peer_project import app
replies = app.control.inspect(timeout=1).active() or {}
print(json.dumps([t['id'] for tasks in replies.values() for t in tasks]))
`,
                  config,
                )
              ).includes(second.id),
            { timeout: 60_000, interval: 500 },
          )
          .toBe(true);

        gateway = await startGateway(postgres.url, options);
        const again = await signedIn(gateway, 'viewer');
        const finished = await settled(again, first.id, 'SUCCESS');
        expect(finished).toMatchObject({ name: 'peer.sleep', resultPreview: '3', cluster: 'py', worker: worker.hostname });
        const running = await settled(again, second.id, 'STARTED');
        expect(running).toMatchObject({ name: 'peer.sleep', args: '(120,)', cluster: 'py', worker: worker.hostname, queue: config.queue });

        const [cluster] = await clusters(again);
        expect(cluster).toMatchObject({ name: 'py', eventSource: { state: 'running' }, reconciledCount: 2, lastReconcile: { tasks: 2, lookedUp: 1, workers: 1, error: null } });
        expect(Date.parse(cluster!.lastReconciledAt!)).toBeGreaterThan(0);
        // The gap runs from the last change the first gateway stored to the second one's subscription.
        expect(Date.parse(cluster!.missedSince!)).toBeLessThan(Date.parse(cluster!.missedUntil!));
        const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as { celery: { reconciledCount: number; missedSince: string | null }[] };
        expect(health.celery[0]).toMatchObject({ reconciledCount: 2, missedSince: cluster!.missedSince });

        // Reconciling again (the subscription breaks and comes back) changes nothing more: the apply is idempotent.
        const ours = (await redis.call('CLIENT', 'LIST')) as string;
        const line = ours.split('\n').find((l) => l.includes('name=lovage-celeryev-py '));
        expect(line).toBeDefined();
        const clientId = /\bid=(\d+)/.exec(line!)![1]!;
        const before = cluster!.lastReconciledAt;
        await redis.call('CLIENT', 'KILL', 'ID', clientId);
        await expect.poll(async () => (await clusters(again))[0]!.lastReconciledAt, { timeout: 30_000, interval: 200 }).not.toBe(before);
        const [after] = await clusters(again);
        expect(after).toMatchObject({ reconciledCount: 2, lastReconcile: { tasks: 0, error: null } });
        expect(after!.missedUntil).not.toBe(cluster!.missedUntil);
      } finally {
        await gateway?.close();
        await worker?.stop(3_000);
        await cleanupPeer(redis, config);
        if (ids.length > 0) await results.del(...ids.map((id) => `celery-task-meta-${id}`));
        redis.disconnect();
        results.disconnect();
      }
    },
    240_000,
  );
});
