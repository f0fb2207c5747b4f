// maxDeliveries with protocol 'celery': kombu counts no deliveries, so Lovage
// counts the restores it makes in the envelope. A message whose holder died
// (reserved, never settled) is restored, delivered again, and when its
// visibility timeout passes for the maxDeliveries-th time it goes to the
// queue's dead-letter list with the same reason as on Lovage's own protocol.
import { Redis } from 'ioredis';
import { cleanupPeer, peerConfig } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../support.js';
import { layoutFor, lovageAppFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('maxDeliveries in Celery mode', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('max-deliveries');
  const layout = layoutFor(config);
  const { app, prefix } = lovageAppFor(config, 'celery-max-deliveries', { visibilityTimeout: '1s', maxDeliveries: 2 });

  afterAll(async () => {
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(redis, config);
    redis.disconnect();
  });

  it('a message whose visibility timeout passes maxDeliveries times is dead-lettered with the reason', async () => {
    const broker = app.broker();
    const queue = config.queue;
    const sent = await app.sendTask('peer.add', [1, 2]);

    // First delivery; its holder dies (never settles): the restore puts it back.
    const first = await broker.reserve([queue], 1, 60_000);
    expect(first.deliveries.map((d) => [d.id, d.deliveries])).toEqual([[sent.id, 1]]);
    let recovered = { requeued: 0, dead: 0 };
    await until(async () => (recovered = await broker.recoverExpired(queue, 2)).requeued + recovered.dead > 0, 30_000);
    expect(recovered).toEqual({ requeued: 1, dead: 0 });

    // Second delivery, counted from the envelope; it expires too: that was the last one allowed.
    const second = await broker.reserve([queue], 1, 60_000);
    expect(second.deliveries.map((d) => [d.id, d.deliveries])).toEqual([[sent.id, 2]]);
    await until(async () => (recovered = await broker.recoverExpired(queue, 2)).requeued + recovered.dead > 0, 30_000);
    expect(recovered).toEqual({ requeued: 0, dead: 1 });

    const [letter, ...others] = await app.queues.deadLetters(queue);
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ id: sent.id, queue, reason: 'lease expired after 2 deliveries (maxDeliveries 2)' });
    expect(JSON.parse(letter!.body)).toMatchObject({ headers: { id: sent.id, task: 'peer.add' } });
    expect(await redis.hlen(layout.unackedKey)).toBe(0);
    expect((await broker.reserve([queue], 1, 60_000)).deliveries).toEqual([]);
  }, 90_000);
});
