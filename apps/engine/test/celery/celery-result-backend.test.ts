// The Celery result backend on a real Redis, without Python: what a Lovage
// worker in protocol 'celery' stores at celery-task-meta-<id> (SETEX and
// PUBLISH), and what a Lovage producer's result.get() makes of metas written
// the way a Python worker writes them.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { KombuLayout } from '../../src/adapters/celery/kombu-layout.js';
import { decodeResultMeta, encodeResultMeta } from '../../src/adapters/celery/result-meta.js';
import { encodeTaskMessage } from '../../src/adapters/celery/task-message.js';
import { Lovage, TaskFailedError, TaskRevokedError } from '../../src/index.js';
import { redisUrl, until } from '../support.js';
import { pushTask } from './celery-peer-support.js';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe('the Celery result backend', () => {
  const redis = new Redis(redisUrl);
  const listener = new Redis(redisUrl);
  const keyPrefix = uniquePrefix('celery-results');
  const prefix = uniquePrefix('celery-results-own');
  const layout = new KombuLayout({ globalKeyPrefix: keyPrefix });
  const ids: string[] = [];
  const app = new Lovage({ protocol: 'celery', broker: redisUrl, celeryKeyPrefix: keyPrefix, prefix, logLevel: 'silent' });
  const published = new Map<string, string[]>();
  listener.on('pmessage', (_pattern: string, channel: string, text: string) => {
    published.set(channel, [...(published.get(channel) ?? []), text]);
  });

  app.task('proj.add', (x: number, y: number) => x + y);
  app.task('proj.pay', (order: number) => {
    throw new PaymentDeclined(`card declined for order ${order}`);
  });
  app.task('proj.quiet', () => 'not stored', { ignoreResult: true });

  async function send(task: string, args: unknown[], ignoreResult = false): Promise<string> {
    const id = randomUUID();
    ids.push(id);
    await pushTask(redis, layout, encodeTaskMessage({ id, task, args, queue: 'celery', origin: 'gen1@py', ignoreResult }, 'kombu-5.2'));
    return id;
  }

  afterAll(async () => {
    await app.close();
    listener.disconnect();
    await deleteKeysWithPrefix(redis, keyPrefix);
    await deleteKeysWithPrefix(redis, prefix);
    if (ids.length > 0) await redis.del(...ids.map((id) => layout.resultKey(id)));
    redis.disconnect();
  });

  it('stores SUCCESS and FAILURE as Celery does, SETEX with the expiry and PUBLISHed on the key', async () => {
    await listener.psubscribe('celery-task-meta-*');
    const worker = app.worker({ maintenanceInterval: 50 });
    await worker.start();
    const ok = await send('proj.add', [2, 3]);
    const failed = await send('proj.pay', [42]);
    await until(async () => (await redis.exists(layout.resultKey(ok), layout.resultKey(failed))) === 2);
    const okText = await redis.get(layout.resultKey(ok));
    expect(decodeResultMeta(okText!)).toMatchObject({ taskId: ok, status: 'SUCCESS', result: 5, children: [] });
    const ttl = await redis.ttl(layout.resultKey(ok));
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
    const failText = await redis.get(layout.resultKey(failed));
    const raw = JSON.parse(failText!) as { result: unknown; traceback: string };
    expect(raw.result).toEqual({ exc_type: 'PaymentDeclined', exc_message: ['card declined for order 42'], exc_module: 'lovage' });
    expect(raw.traceback).toContain('PaymentDeclined: card declined for order 42');
    expect(raw.traceback).toContain('celery-result-backend.test.ts');
    await until(() => published.get(layout.resultKey(ok))?.length === 1 && published.get(layout.resultKey(failed))?.length === 1);
    expect(published.get(layout.resultKey(ok))).toEqual([okText]);
  });

  it("stores nothing for ignore_result, whether the message asks for it or the task's option does", async () => {
    const asked = await send('proj.add', [1, 1], true);
    const option = await send('proj.quiet', []);
    const after = await send('proj.add', [3, 3]);
    await until(async () => (await redis.exists(layout.resultKey(after))) === 1);
    expect(await redis.exists(layout.resultKey(asked), layout.resultKey(option))).toBe(0);
  });

  it("result.get() reads a Python worker's metas: subscribed before the GET, a failure as TaskFailedError of the exception's type", async () => {
    const later = app.asyncResult<number>(randomUUID());
    ids.push(later.id);
    const waiting = later.get({ timeout: 10_000 });
    // Stored after the waiter subscribed: only the PUBLISH can wake it.
    await until(async () => (await redis.pubsub('NUMSUB', layout.resultKey(later.id)))[1] === 1);
    const meta = encodeResultMeta({ taskId: later.id, status: 'SUCCESS', result: 42 }, 'kombu-5.2');
    await redis.multi().setex(layout.resultKey(later.id), 60, meta).publish(layout.resultKey(later.id), meta).exec();
    expect(await waiting).toBe(42);

    const failed = randomUUID();
    ids.push(failed);
    await redis.setex(
      layout.resultKey(failed),
      60,
      JSON.stringify({
        status: 'FAILURE',
        result: { exc_type: 'PeerTaskError', exc_message: ['boom'], exc_module: 'peer_project.tasks' },
        traceback: 'Traceback (most recent call last):\n...\npeer_project.tasks.PeerTaskError: boom\n',
        children: [],
        date_done: '2026-12-05T10:00:00.123456',
        task_id: failed,
      }),
    );
    const err = await app.asyncResult(failed).get({ timeout: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err).toMatchObject({ remoteName: 'PeerTaskError', remoteMessage: 'boom' });
    expect((err as TaskFailedError).remoteStack).toContain('PeerTaskError: boom');
    expect(await app.asyncResult(failed).state()).toBe('FAILURE');

    const revoked = randomUUID();
    ids.push(revoked);
    await redis.setex(
      layout.resultKey(revoked),
      60,
      encodeResultMeta({ taskId: revoked, status: 'REVOKED', error: { name: 'TaskRevokedError', message: 'expired', module: 'celery.exceptions' } }, 'kombu-5.2'),
    );
    await expect(app.asyncResult(revoked).get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
  });

  it('results stored in the same turn go out together, each SETEX with its own expiry and PUBLISHed once', async () => {
    await listener.psubscribe('celery-task-meta-*');
    const batch = Array.from({ length: 40 }, (_, i) => ({ id: randomUUID(), value: i }));
    ids.push(...batch.map((b) => b.id));
    await Promise.all(
      batch.map((b, i) =>
        app.backend.store({ id: b.id, task: 'proj.add', queue: 'celery', state: 'SUCCESS', result: b.value, retries: 0, attempts: [] }, (60 + i) * 1000),
      ),
    );
    const texts = await redis.mget(batch.map((b) => layout.resultKey(b.id)));
    expect(texts.map((t) => decodeResultMeta(t!).result)).toEqual(batch.map((b) => b.value));
    expect(await redis.ttl(layout.resultKey(batch[39]!.id))).toBeGreaterThan(90);
    await until(() => batch.every((b) => published.get(layout.resultKey(b.id))?.length === 1));
    expect(batch.map((b) => published.get(layout.resultKey(b.id))![0])).toEqual(texts);
  });

  it("a late revocation is stored as Celery writes it, but never over a finished task's meta", async () => {
    await listener.psubscribe('celery-task-meta-*');
    const [finished, pending] = [randomUUID(), randomUUID()];
    ids.push(finished, pending);
    const revoked = (id: string) => ({ id, task: 'proj.add', state: 'REVOKED' as const, reason: 'revoked', retries: 0, attempts: [] });
    await app.backend.store({ id: finished, task: 'proj.add', state: 'SUCCESS', result: 5, retries: 0, attempts: [] }, 60_000);
    expect(await app.backend.storeUnlessReady(revoked(finished), 60_000)).toBe(false);
    expect(decodeResultMeta((await redis.get(layout.resultKey(finished)))!)).toMatchObject({ status: 'SUCCESS', result: 5 });
    expect(await app.backend.storeUnlessReady(revoked(pending), 120_000)).toBe(true);
    const text = await redis.get(layout.resultKey(pending));
    expect(decodeResultMeta(text!)).toMatchObject({ taskId: pending, status: 'REVOKED' });
    expect(await redis.ttl(layout.resultKey(pending))).toBeGreaterThan(110);
    await until(() => published.get(layout.resultKey(pending))?.length === 1);
    expect(published.get(layout.resultKey(pending))).toEqual([text]);
  });
});
