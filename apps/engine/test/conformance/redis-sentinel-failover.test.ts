// A Sentinel-managed master killed (SIGKILL) under load: the sentinel promotes
// the replica, and the producer and the worker, connected through a
// redis+sentinel:// URL, find the new master and carry on without a restart.
// As with Cluster, what the dead master acknowledged but had not replicated may
// be lost (asynchronous replication; docs/operations.md says exactly what): the
// test prints those figures and requires that everything sent once the replica
// was promoted runs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { uniquePrefix } from '@lovage/test-support/redis';
import { startRedisSentinel, type PrivateRedisSentinel } from '@lovage/test-support/redis-sentinel';
import { failoverSummary, failoverUnderLoad } from '../fault/failover-under-load.js';

let sentinel: PrivateRedisSentinel;

/** The master's port as the sentinel names it now. */
async function masterPort(): Promise<number | undefined> {
  const client = new Redis({ port: sentinel.sentinelPort, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = (await client.call('SENTINEL', 'get-master-addr-by-name', sentinel.masterName)) as [string, string] | null;
    return reply ? Number(reply[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replica: true });
}, 120_000);

afterAll(async () => {
  await sentinel.stop();
});

it('a master killed under load: the sentinel promotes the replica, producer and worker carry on, and everything sent after the promotion runs', async () => {
  const run = await failoverUnderLoad({
    broker: sentinel.url,
    prefix: uniquePrefix('sentinel-failover'),
    queues: ['default'],
    sendsBefore: 300,
    sendsAfter: 300,
    phaseTimeoutMs: 60_000,
    kill: () => process.kill(sentinel.masterPid, 'SIGKILL'),
    promoted: async () => (await masterPort()) === sentinel.replicaPort,
  });
  const s = failoverSummary(run);
  console.log(`sentinel failover: ${s.sent} sent, ${s.sent - s.lost} ran, ${s.lost} lost, ${s.ranTwice} ran twice, replica promoted ${s.promotionMs} ms after the kill`);
  expect(run.promoted).toBe(true);
  expect(s.sentAfterPromotion).toBeGreaterThanOrEqual(300);
  expect(s.lostAfterPromotion).toBe(0);
}, 240_000);
