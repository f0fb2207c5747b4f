// kombu's ack emulation shared across languages: what a dead worker held in
// `unacked` is restored by a worker of the other language and runs once more.
// A Python worker (Celery 5.2.6) SIGKILLed while running leaves its entry for
// a Lovage worker; a Lovage worker that died after reserving (its entry never
// settled) leaves one a Python worker restores when it starts.
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { currentTask } from '../../src/index.js';
import { until } from '../support.js';
import { layoutFor, lovageAppFor, waitForResult } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('unacked messages restored across languages', () => {
  const redis = new Redis(redisUrl);
  // Python restores entries older than its visibility timeout when it starts: one second here.
  const config = peerConfig('restore', { visibilityTimeoutSeconds: 1 });
  const layout = layoutFor(config);
  const resultKeys: string[] = [];
  const prefixes: string[] = [];
  const workers: CeleryWorker[] = [];

  afterAll(async () => {
    for (const w of workers) await w.stop(5_000);
    for (const p of prefixes) await deleteKeysWithPrefix(redis, p);
    await cleanupPeer(redis, config, resultKeys);
    redis.disconnect();
  }, 60_000);

  it('a Lovage worker restores and runs the message a SIGKILLed Python worker held', async () => {
    const { app: producer, prefix: producerPrefix } = lovageAppFor(config, 'restore-producer');
    prefixes.push(producerPrefix);
    const python = await startCeleryWorker({ config, name: 'killed' });
    workers.push(python);
    const sent = await producer.sendTask('peer.sleep', [60]);
    resultKeys.push(layout.resultKey(sent.id));
    // The Python worker holds it (its entry in unacked) while it sleeps; then it dies without a word.
    await until(async () => (await redis.hlen(layout.unackedKey)) === 1, 60_000);
    process.kill(python.pid, 'SIGKILL');
    await until(() => python.exited, 30_000);
    expect(await redis.hlen(layout.unackedKey)).toBe(1);
    await producer.close();

    // The restore looks for entries older than the app's visibility timeout: one second here too.
    const { app, prefix } = lovageAppFor(config, 'restore-lovage', { visibilityTimeout: '1s' });
    prefixes.push(prefix);
    const seen: { redelivered: unknown; args: readonly unknown[] }[] = [];
    app.task('peer.sleep', (seconds: number) => {
      seen.push({ redelivered: currentTask().headers.redelivered, args: currentTask().args });
      return `would sleep ${seconds}s`;
    });
    const worker = app.worker({ maintenanceInterval: 100 });
    await worker.start();
    try {
      const meta = await waitForResult(redis, layout, sent.id);
      expect(meta).toMatchObject({ status: 'SUCCESS', result: 'would sleep 60s' });
      expect(seen).toEqual([{ redelivered: true, args: [60] }]);
      // The result is stored before the message is acknowledged (by either language): wait for the ack.
      await expect.poll(() => redis.hlen(layout.unackedKey), { timeout: 30_000 }).toBe(0);
    } finally {
      await app.close();
    }
  }, 180_000);

  it('a Python worker restores and runs the message a dead Lovage worker held', async () => {
    const { app, prefix } = lovageAppFor(config, 'restore-dead-lovage');
    prefixes.push(prefix);
    const sent = await app.sendTask('peer.add', [20, 22]);
    resultKeys.push(layout.resultKey(sent.id));
    // Reserved as a Lovage worker reserves, then never settled: what a SIGKILL leaves in Redis.
    const reserved = await app.broker().reserve([config.queue], 1, 60_000);
    expect(reserved.deliveries.map((d) => d.id)).toEqual([sent.id]);
    await app.close();
    expect(await redis.llen(layout.queueKey(config.queue))).toBe(0);
    expect(await redis.hlen(layout.unackedKey)).toBe(1);
    // A Python worker restores when it starts (and then only every ~100 s): the entry must be older
    // than its visibility timeout (1 s) by then, and a warm Python starts in well under a second.
    const [, score] = await redis.zrange(layout.unackedIndexKey, '0', '0', 'WITHSCORES');
    await until(() => Date.now() / 1000 - Number(score) > 1.5, 10_000);
    const python = await startCeleryWorker({ config, name: 'restorer' });
    workers.push(python);
    const meta = await waitForResult(redis, layout, sent.id);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 42 });
    // The result is stored before the message is acknowledged (by either language): wait for the ack.
    await expect.poll(() => redis.hlen(layout.unackedKey), { timeout: 30_000 }).toBe(0);
  }, 180_000);
});
