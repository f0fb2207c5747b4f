// Two gateways on one database and one broker, as behind a load balancer: the
// consumer group splits the event stream between their ingests (each event
// applied once: the rows match the ground truth), and a browser connected to
// either one sees every change, whichever gateway applied it.
import { randomUUID } from 'node:crypto';
import { Lovage } from '@lovage/engine';
import { postgresTest } from '@lovage/test-support/postgres';
import { testRedisUrl } from '@lovage/test-support';
import { describe, expect } from 'vitest';
import { startStack, until } from './actions-support.js';
import { groundTruthMatches } from './ingest-support.js';
import { connectLive, signedIn, startGateway, type LiveSocket } from './support.js';

describe('several gateways', () => {
  postgresTest('share the ingest through the consumer group, and each live feed shows the batches the other applied', async ({ postgres }) => {
    const liveFanout = { redisUrl: testRedisUrl, channel: `lovage-test:live:${randomUUID()}` };
    // One stream entry per read, so both ingests keep taking a share.
    const stack = await startStack(postgres.url, 'gw-two', { liveFanout, ingest: { blockMs: 100, count: 1, consumer: 'gateway-a' } });
    const appB = new Lovage({ broker: testRedisUrl, backend: testRedisUrl, prefix: stack.prefix, logLevel: 'silent' });
    const gatewayB = await startGateway(postgres.url, { app: appB, liveFanout, ingest: { blockMs: 100, count: 1, consumer: 'gateway-b' } });
    const sockets: LiveSocket[] = [];
    try {
      await stack.startWorker({ concurrency: 8 });
      const latestOn = [new Map<string, string>(), new Map<string, string>()];
      for (const [index, gateway] of [stack.gateway, gatewayB].entries()) {
        const socket = await connectLive(gateway, await signedIn(gateway, 'viewer'));
        sockets.push(socket);
        await socket.timeout(5_000).emitWithAck('subscribe', { room: 'tasks' });
        socket.on('tasks:update', ({ tasks }) => {
          for (const task of tasks) latestOn[index]!.set(task.id, task.state);
        });
      }

      const ids: string[] = [];
      for (let round = 0; round < 20; round++) {
        const sent = await stack.producer.tasks.get('tests.add')!.bulkApply(Array.from({ length: 10 }, (_, n) => [round, n] as never));
        ids.push(...sent.map((result) => result.id));
      }
      for (const [index, latest] of latestOn.entries()) {
        await until(
          () => ids.every((id) => latest.get(id) === 'SUCCESS'),
          `every task SUCCESS on gateway ${'AB'[index]}'s socket (so far ${ids.filter((id) => latest.get(id) === 'SUCCESS').length} of ${ids.length})`,
          60_000,
        );
      }
      const applied = [stack.gateway.ingest!.status().eventsApplied, gatewayB.ingest!.status().eventsApplied];
      // Both ingests took a share, so each socket saw tasks whose events the other gateway applied.
      expect(applied[0]).toBeGreaterThan(0);
      expect(applied[1]).toBeGreaterThan(0);
      await groundTruthMatches(stack.gateway.prisma, stack.producer, ids);
    } finally {
      for (const socket of sockets) socket.close();
      await gatewayB.close();
      await appB.close();
      await stack.close();
    }
  }, 120_000);

  postgresTest('a bulk job started on one gateway is answered, and followed live, on the other', async ({ postgres }) => {
    const liveFanout = { redisUrl: testRedisUrl, channel: `lovage-test:live:${randomUUID()}` };
    const stack = await startStack(postgres.url, 'gw-two-jobs', { liveFanout, ingest: { consumer: 'gateway-a' } });
    const appB = new Lovage({ broker: testRedisUrl, backend: testRedisUrl, prefix: stack.prefix, logLevel: 'silent' });
    const gatewayB = await startGateway(postgres.url, { app: appB, liveFanout, ingest: { consumer: 'gateway-b' } });
    let socket: LiveSocket | undefined;
    try {
      const operatorOnA = await signedIn(stack.gateway, 'operator');
      const viewerOnB = await signedIn(gatewayB, 'viewer');
      socket = await connectLive(gatewayB, viewerOnB);
      await socket.timeout(5_000).emitWithAck('subscribe', { room: 'jobs' });
      const seenLive = new Map<string, string>();
      socket.on('jobs:update', ({ jobs }) => {
        for (const job of jobs) seenLive.set(job.id, job.state);
      });
      const started = await operatorOnA.request('POST', '/api/v1/tasks/bulk', { body: { action: 'revoke', ids: ['missing-1', 'missing-2'] } });
      expect(started.status).toBe(202);
      const { job } = (await started.json()) as { job: { id: string } };

      const finished = await until(async () => {
        const response = await viewerOnB.request('GET', `/api/v1/jobs/${job.id}`);
        if (response.status !== 200) return null;
        const current = ((await response.json()) as { job: { state: string } }).job;
        return current.state === 'succeeded' ? current : null;
      }, 'the job finished, as gateway B reports it');
      expect(finished).toMatchObject({ id: job.id, kind: 'tasks.revoke', total: 2, done: 2, skipped: 2 });
      const listed = (await (await viewerOnB.request('GET', '/api/v1/jobs')).json()) as { jobs: { id: string }[] };
      expect(listed.jobs.map((entry) => entry.id)).toContain(job.id);
      await until(() => seenLive.get(job.id) === 'succeeded', "the job's progress in gateway B's jobs room");
    } finally {
      socket?.close();
      await gatewayB.close();
      await appB.close();
      await stack.close();
    }
  }, 60_000);
});
