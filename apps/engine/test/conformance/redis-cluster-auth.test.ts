// A Redis Cluster whose nodes require a password, reached through a
// redis+cluster:// URL carrying it (percent-encoded): every connection the
// adapter opens (commands, the worker's blocking wait, pub/sub for results)
// authenticates.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import { startRedisCluster, type PrivateRedisCluster } from '@lovage/test-support/redis-cluster';
import { Lovage } from '../../src/index.js';

const password = 'p@ss:w/rd';
let cluster: PrivateRedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ password });
}, 120_000);

afterAll(async () => {
  await cluster.stop();
});

it('runs tasks on two queues through a redis+cluster://:password@… URL, and the nodes refuse clients without it', async () => {
  expect(cluster.url).toContain(`:${encodeURIComponent(password)}@`);
  const app = new Lovage({ broker: cluster.url, prefix: uniquePrefix('cluster-auth'), logLevel: 'silent' });
  const add = app.task('auth.add', (a: number, b: number) => a + b);
  const worker = app.worker({ queues: ['auth-a', 'auth-b'] });
  try {
    await worker.start();
    const results = await Promise.all([add.applyAsync([1, 2], { queue: 'auth-a' }), add.applyAsync([3, 4], { queue: 'auth-b' })]);
    expect(await Promise.all(results.map((r) => r.get({ timeout: 15_000 })))).toEqual([3, 7]);
  } finally {
    await worker.close();
    await app.close();
  }
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(cluster.nodes[0]!.port), 'GET', 'x']);
  expect(stdout).toMatch(/NOAUTH/);
}, 60_000);
