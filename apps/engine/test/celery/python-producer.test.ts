// A Python producer (Celery 5.2.6, kombu 5.2.4) sends; the codec reads the
// message exactly as it sits in Redis, as a Lovage worker will.
import { Redis } from 'ioredis';
import { cleanupPeer, peerConfig, runPythonJson } from '@lovage/test-support/python-peer';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTaskMessage } from '../../src/adapters/celery/task-message.js';
import { layoutFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('messages a Python producer sends', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('producer');
  const layout = layoutFor(config);

  afterAll(async () => {
    await cleanupPeer(redis, config);
    redis.disconnect();
  });

  it('apply_async(args, kwargs, countdown, expires, priority) decodes: ids, kombu 5.2 datetimes, Decimal and UUID, eta, expires, priority sub-queue', async () => {
    const sent = await runPythonJson<{ id: string; before: number; after: number }>(
      `
import datetime, decimal, json, time, uuid
from peer_project.tasks import describe
before = time.time()
r = describe.apply_async(
    args=[datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc), decimal.Decimal('1.10'),
          uuid.UUID(int=5), 'plain', 7, [1, 'x'], None],
    kwargs={'when': datetime.date(2026, 1, 2), 'naive': datetime.datetime(2026, 3, 4, 5, 6, 7), 'n': 2.5},
    countdown=30, expires=600, priority=5)
print(json.dumps({'id': r.id, 'before': before, 'after': time.time()}))
`,
      config,
    );
    // Priority 5 lands in the \x06\x163 sub-queue, next to the binding kombu's producer declared.
    const raw = await redis.lrange(layout.queueKey(config.queue, 5), 0, -1);
    expect(raw).toHaveLength(1);
    expect(await redis.llen(layout.queueKey(config.queue, 0))).toBe(0);
    const binding = layout.queueBinding(config.queue);
    expect(await redis.sismember(binding.key, binding.member)).toBe(1);

    const message = decodeTaskMessage(raw[0]);
    expect(message).toMatchObject({
      protocol: 2,
      id: sent.id,
      task: 'peer.describe',
      args: [
        new Date('2026-01-02T03:04:05.123Z'),
        '1.10',
        '00000000-0000-0000-0000-000000000005',
        'plain',
        7,
        [1, 'x'],
        null,
      ],
      // kombu 5.2 sends a date as midnight and a naive datetime without offset: both read as UTC.
      kwargs: { when: new Date('2026-01-02T00:00:00Z'), naive: new Date('2026-03-04T05:06:07Z'), n: 2.5 },
      retries: 0,
      rootId: sent.id,
      correlationId: sent.id,
      lang: 'py',
      priority: 5,
      exchange: '',
      routingKey: config.queue,
      redelivered: false,
    });
    expect(message.origin).toMatch(/^gen\d+@/);
    expect(message.argsrepr).toContain("Decimal('1.10')");
    // countdown and expires are computed by the producer from its clock between `before` and `after`.
    expect(message.eta!.getTime()).toBeGreaterThanOrEqual(Math.floor((sent.before + 30) * 1000));
    expect(message.eta!.getTime()).toBeLessThanOrEqual(Math.ceil((sent.after + 30) * 1000));
    expect(message.expires!.getTime()).toBeGreaterThanOrEqual(Math.floor((sent.before + 600) * 1000));
    expect(message.expires!.getTime()).toBeLessThanOrEqual(Math.ceil((sent.after + 600) * 1000));
    expect(message.envelope.properties.expiration).toBe('600000');

    // A consumer BRPOPs every sub-queue in kombu's order and maps the key back to the queue.
    const popped = await redis.brpop(...layout.consumeKeys([config.queue]), 5);
    expect(popped).not.toBeNull();
    expect(layout.queueOfKey(popped![0])).toBe(config.queue);
    expect(decodeTaskMessage(popped![1]).id).toBe(sent.id);
  }, 120_000);

  it('protocol v1 (task_protocol = 1) decodes too', async () => {
    const sent = await runPythonJson<{ id: string }>(
      `
import json
from peer_project import app
app.conf.task_protocol = 1
r = app.send_task('peer.add', args=[4, 5], kwargs={'z': 1}, retries=2)
print(json.dumps({'id': r.id}))
`,
      config,
    );
    const [raw] = await redis.lrange(layout.queueKey(config.queue), 0, -1);
    const message = decodeTaskMessage(raw);
    expect(message).toMatchObject({
      protocol: 1,
      id: sent.id,
      task: 'peer.add',
      args: [4, 5],
      kwargs: { z: 1 },
      retries: 2,
      routingKey: config.queue,
    });
  }, 120_000);
});
