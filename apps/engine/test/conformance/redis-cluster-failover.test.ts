// A Redis Cluster master killed (SIGKILL) under load: its replica takes over,
// and the producer and the worker carry on without a restart. What the dead
// master acknowledged but had not yet replicated may be lost (Redis replicates
// asynchronously; docs/operations.md says exactly what): the test prints those
// figures and requires that everything sent once the replica was promoted runs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import { clusterMasterOf, startRedisCluster, type PrivateRedisCluster } from '@lovage/test-support/redis-cluster';
import { queueKeys } from '../../src/adapters/redis/keys.js';
import { failoverSummary, failoverUnderLoad, lostAfterPromotion, type FailoverRun } from '../fault/failover-under-load.js';

let cluster: PrivateRedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 120_000);

afterAll(async () => {
  await cluster.stop();
});

it('a master killed under load: its replica takes over, producer and worker carry on, and everything sent after the promotion runs', async () => {
  const prefix = uniquePrefix('failover');
  const queues = ['fo-a', 'fo-b', 'fo-c'];
  // The victim serves the first queue's keys; the load spreads over every master.
  const key = queueKeys(prefix, queues[0]!).ready;
  const victimPort = (await clusterMasterOf(key, cluster.nodes[0]!.port))!;
  const victim = cluster.nodes.find((node) => node.port === victimPort)!;
  const survivor = cluster.nodes.find((node) => node.port !== victimPort)!;
  const run = await failoverUnderLoad({
    broker: cluster.url,
    prefix,
    queues,
    sendsBefore: 300,
    sendsAfter: 300,
    phaseTimeoutMs: 60_000,
    kill: () => process.kill(victim.pid, 'SIGKILL'),
    promoted: async () => {
      const port = await clusterMasterOf(key, survivor.port);
      return port !== undefined && port !== victimPort;
    },
  });
  const s = failoverSummary(run);
  console.log(`failover: ${s.sent} sent, ${s.sent - s.lost} ran, ${s.lost} lost, ${s.ranTwice} ran twice, replica promoted ${s.promotionMs} ms after the kill`);
  expect(run.promoted).toBe(true);
  expect(s.sentAfterPromotion).toBeGreaterThanOrEqual(300);
  expect(s.lostAfterPromotion, await whereAreLost(run, prefix)).toBe(0);
}, 240_000);

/** Where each task lost after the promotion is in its queue's keys now, and when it was sent: for a failure's message. */
async function whereAreLost(run: FailoverRun, prefix: string): Promise<string> {
  const lost = lostAfterPromotion(run);
  if (lost.length === 0) return '';
  const client = cluster.client();
  try {
    const lines = await Promise.all(
      lost.map(async ({ n, id, queue, at }) => {
        const k = queueKeys(prefix, queue);
        const [ready, leased, delayed, body, earlier] = await Promise.all([
          client.zscore(k.ready, id),
          client.zscore(k.leased, id),
          client.zscore(k.delayed, id),
          client.hexists(k.messages, id),
          client.hget(k.deliveries, id),
        ]);
        const where = [ready !== null && 'ready', leased !== null && `leased until ${Number(leased) - Date.now()} ms from now`, delayed !== null && 'delayed', body === 1 ? 'body kept' : 'no body', earlier !== null && `${earlier} earlier deliveries`];
        return `task ${n} (${id}) on ${queue}, sent ${at - run.promotedAt} ms after the promotion: ${where.filter(Boolean).join(', ')}`;
      }),
    );
    return `lost after the promotion:\n${lines.join('\n')}`;
  } catch (err) {
    return `lost after the promotion: ${lost.map((s) => s.n).join(', ')} (looking them up failed: ${String(err)})`;
  } finally {
    client.disconnect();
  }
}
