// A password-protected master behind a Sentinel that has no password, reached
// through redis+sentinel://:password@…: the master is found by its name and
// the password goes to it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import { startRedisSentinel, type PrivateRedisSentinel } from '@lovage/test-support/redis-sentinel';
import { Lovage } from '../../src/index.js';

let sentinel: PrivateRedisSentinel;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ password: 'se:cr@t' });
}, 60_000);

afterAll(async () => {
  await sentinel.stop();
});

it('runs a task through a redis+sentinel://:password@host/<master>/0 URL', async () => {
  expect(sentinel.url).toBe(`redis+sentinel://:se%3Acr%40t@127.0.0.1:${sentinel.sentinelPort}/${sentinel.masterName}/0`);
  const app = new Lovage({ broker: sentinel.url, prefix: uniquePrefix('sentinel-auth'), logLevel: 'silent' });
  const add = app.task('sentinel.add', (a: number, b: number) => a + b);
  const worker = app.worker();
  try {
    await worker.start();
    await expect((await add.delay(2, 3)).get({ timeout: 15_000 })).resolves.toBe(5);
  } finally {
    await worker.close();
    await app.close();
  }
}, 60_000);
