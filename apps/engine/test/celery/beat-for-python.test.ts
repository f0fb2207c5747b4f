// Lovage's beat in protocol 'celery' drives a real Python worker (Celery 5.2.6):
// a 1 s interval schedule of peer.add and one of peer.describe with kwargs are
// sent as protocol v2 messages, the Python worker runs each occurrence and
// stores its result, which Lovage's result.get() reads from celery-task-meta-*.
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeatEvent } from '../../src/beat/index.js';
import { layoutFor, lovageAppFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe("Lovage's beat sends to Python workers", () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('beat-for-python');
  const layout = layoutFor(config);
  const { app, prefix } = lovageAppFor(config, 'celery-beat', {
    beatSchedule: {
      'add-every-second': { task: 'peer.add', schedule: '1s', args: [2, 3] },
      'describe-every-second': { task: 'peer.describe', schedule: '1s', args: ['beat'], kwargs: { tick: true } },
    },
  });
  const fired: { schedule: string; taskId: string }[] = [];
  let worker: CeleryWorker;

  beforeAll(async () => {
    worker = await startCeleryWorker({ config, name: 'beat-runner', pool: 'prefork', concurrency: 1 });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(
      redis,
      config,
      fired.map((f) => layout.resultKey(f.taskId)),
    );
    redis.disconnect();
  }, 60_000);

  it('a 1 s interval schedule fires at least twice and the Python worker runs every occurrence, args and kwargs as scheduled', async () => {
    const beat = app.beat({
      onEvent: (event: BeatEvent) => {
        if (event.type === 'schedule-fired') fired.push({ schedule: event.schedule, taskId: event.taskId });
      },
    });
    await beat.start();
    const runsOf = (schedule: string): string[] => fired.filter((f) => f.schedule === schedule).map((f) => f.taskId);
    await expect.poll(() => Math.min(runsOf('add-every-second').length, runsOf('describe-every-second').length), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await beat.close();

    const adds = runsOf('add-every-second');
    expect(new Set(adds).size).toBe(adds.length);
    for (const id of adds) expect(await app.asyncResult<number>(id).get({ timeout: 60_000 })).toBe(5);
    for (const id of runsOf('describe-every-second')) {
      expect(await app.asyncResult(id).get({ timeout: 60_000 })).toEqual({
        args: ['beat'],
        kwargs: { tick: true },
        arg_types: ['str'],
        kwarg_types: { tick: 'bool' },
      });
    }
    // Python stored them: its own result keys, in its own format.
    const meta = JSON.parse((await redis.get(layout.resultKey(adds[0]!)))!) as { status: string; result: unknown };
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 5 });
  }, 120_000);
});
