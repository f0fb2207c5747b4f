// Messages the codec encodes, run by a real Python worker (Celery 5.2.6, solo
// pool, -E): results, failures, eta and expires read back from
// celery-task-meta-<id>; the worker's events on celeryev and its pidbox
// replies decoded; its unacked entries read, and ours restored by it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { cleanupPeer, peerConfig } from '@lovage/test-support/python-peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeEventMessage,
  isCeleryEvent,
  type CeleryEventRecord,
} from '../../src/adapters/celery/celery-events.js';
import type { KombuDialect } from '../../src/adapters/celery/kombu-json.js';
import {
  decodeTaskMessage,
  encodeTaskMessage,
  type CeleryTaskSpec,
} from '../../src/adapters/celery/task-message.js';
import { decodeUnackedEntry, encodeUnackedEntry } from '../../src/adapters/celery/unacked-entry.js';
import { layoutFor, pidboxCall, pushTask, waitForResult } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

describe('a Python worker runs what the codec encodes', () => {
  const redis = new Redis(redisUrl);
  const subscriber = new Redis(redisUrl);
  const config = peerConfig('pyworker');
  const layout = layoutFor(config);
  const taskIds: string[] = [];
  const events: CeleryEventRecord[] = [];
  const undecodable: unknown[] = [];
  let worker: CeleryWorker;

  /** Encodes a task for this test's queue and pushes it where kombu would. */
  async function send(
    spec: Omit<CeleryTaskSpec, 'id' | 'queue' | 'origin'>,
    dialect: KombuDialect = 'kombu-5.2',
  ): Promise<string> {
    const id = randomUUID();
    taskIds.push(id);
    await pushTask(
      redis,
      layout,
      encodeTaskMessage({ id, queue: config.queue, origin: 'lovage-test@host', ...spec }, dialect),
    );
    return id;
  }

  beforeAll(async () => {
    // Subscribed before the worker starts, so its worker-online is seen too.
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      try {
        events.push(...decodeEventMessage(message));
      } catch (err) {
        undecodable.push(err);
      }
    });
    await subscriber.psubscribe(layout.eventPattern);
    worker = await startCeleryWorker({ config, name: 'pyworker', events: true });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    subscriber.disconnect();
    await cleanupPeer(
      redis,
      config,
      taskIds.map((id) => layout.resultKey(id)),
    );
    redis.disconnect();
  }, 60_000);

  it('runs a task and stores a SUCCESS the codec reads, acking the unacked entry', async () => {
    const id = await send({ task: 'peer.add', args: [2, 3] });
    const meta = await waitForResult(redis, layout, id);
    expect(meta).toMatchObject({ taskId: id, status: 'SUCCESS', result: 5, exception: undefined });
    expect(meta.dateDone).toBeInstanceOf(Date);
    // The result is stored before the message is acknowledged (by either language): wait for the ack.
    await expect.poll(() => redis.hlen(layout.unackedKey), { timeout: 30_000 }).toBe(0);
  }, 90_000);

  it("stores a failure as the Python exception's type, module and message, with its traceback", async () => {
    const id = await send({ task: 'peer.fail', args: ['boom'] });
    const meta = await waitForResult(redis, layout, id);
    expect(meta.status).toBe('FAILURE');
    expect(meta.exception).toEqual({
      type: 'PeerTaskError',
      module: 'peer_project.tasks',
      args: ['boom'],
      message: 'boom',
    });
    expect(meta.traceback).toContain('PeerTaskError: boom');
  }, 90_000);

  it('passes kwargs and dates as kombu 5.2 does (ISO strings), while 5.3 tags reach a 5.2 task as dicts', async () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    const plain = await send({ task: 'peer.describe', args: [when, 'x'], kwargs: { when, n: 1 } });
    const plainMeta = await waitForResult(redis, layout, plain);
    // The task returns what it got; the ISO strings come back as Dates through the reader.
    expect(plainMeta.result).toEqual({
      args: [when, 'x'],
      kwargs: { when, n: 1 },
      arg_types: ['str', 'str'],
      kwarg_types: { when: 'str', n: 'int' },
    });
    const tagged = await send({ task: 'peer.describe', args: [when] }, 'kombu-5.3');
    expect((await waitForResult(redis, layout, tagged)).result).toMatchObject({ arg_types: ['dict'] });
  }, 90_000);

  it('serves a priority sub-queue, waits for an eta it parses exactly, and revokes a task whose expires has passed', async () => {
    const urgent = await send({ task: 'peer.add', args: [1, 1], priority: 9 });
    expect((await waitForResult(redis, layout, urgent)).result).toBe(2);

    const eta = new Date(Date.now() + 1500);
    const later = await send({ task: 'peer.add', args: [2, 2], eta });
    const laterMeta = await waitForResult(redis, layout, later);
    expect(laterMeta.result).toBe(4);
    expect(laterMeta.dateDone!.getTime()).toBeGreaterThanOrEqual(eta.getTime());

    const expired = await send({ task: 'peer.add', args: [3, 3], expires: new Date(Date.now() - 1000) });
    const expiredMeta = await waitForResult(redis, layout, expired);
    expect(expiredMeta.status).toBe('REVOKED');
    expect(expiredMeta.exception).toMatchObject({ type: 'TaskRevokedError', message: 'expired' });
  }, 120_000);

  it("keeps its unacked entry in kombu's [envelope, exchange, routing_key] form while a task runs", async () => {
    const id = await send({ task: 'peer.sleep', args: [3] });
    let entryText: string | undefined;
    await expect
      .poll(
        async () => {
          const entries = await redis.hgetall(layout.unackedKey);
          entryText = Object.values(entries)[0];
          return entryText !== undefined;
        },
        { timeout: 60_000, interval: 20 },
      )
      .toBe(true);
    const entry = decodeUnackedEntry(entryText!);
    expect(entry).toMatchObject({ exchange: '', routingKey: config.queue });
    const held = decodeTaskMessage(entry.envelope);
    expect(held).toMatchObject({ id, task: 'peer.sleep', args: [3] });
    expect(await redis.zscore(layout.unackedIndexKey, held.deliveryTag)).not.toBeNull();
    await waitForResult(redis, layout, id);
  }, 120_000);

  it('answers a pidbox ping and inspect registered that the codec encodes and decodes', async () => {
    expect(await pidboxCall(redis, layout, 'ping', { destination: [worker.hostname] })).toEqual({
      [worker.hostname]: { ok: 'pong' },
    });
    const registered = await pidboxCall(redis, layout, 'registered', { destination: [worker.hostname] });
    expect(registered[worker.hostname]).toEqual(
      expect.arrayContaining(['peer.add', 'peer.fail', 'peer.retry', 'peer.sleep', 'peer.describe']),
    );
    const unknown = await pidboxCall(redis, layout, 'no_such_command', { destination: [worker.hostname] });
    expect(unknown).toEqual({ [worker.hostname]: { error: "KeyError('no_such_command')" } });
  }, 90_000);

  it('sends events that all decode: worker-online, heartbeats, and task events batched as task.multi', async () => {
    const id = await send({ task: 'peer.add', args: [20, 22] });
    const failed = await send({ task: 'peer.fail', args: ['for the events'] });
    const retried = await send({ task: 'peer.retry', args: [1] });
    await waitForResult(redis, layout, id);
    await waitForResult(redis, layout, failed);
    await waitForResult(redis, layout, retried);
    const seen = (type: string, uuid?: string): CeleryEventRecord | undefined =>
      events.find((e) => e.type === type && (uuid === undefined || e.uuid === uuid));
    await expect
      .poll(
        () =>
          seen('task-succeeded', id) !== undefined &&
          seen('task-failed', failed) !== undefined &&
          seen('worker-heartbeat') !== undefined,
        { timeout: 60_000 },
      )
      .toBe(true);

    expect(undecodable).toEqual([]);
    expect(seen('worker-online')).toMatchObject({
      hostname: worker.hostname,
      sw_ident: 'py-celery',
      sw_ver: '5.2.6',
      freq: 2,
    });
    expect(seen('task-received', id)).toMatchObject({
      hostname: worker.hostname,
      name: 'peer.add',
      args: '[20, 22]',
      kwargs: '{}',
      retries: 0,
      root_id: id,
    });
    expect(seen('task-started', id)).toBeDefined();
    const succeeded = seen('task-succeeded', id)!;
    if (!isCeleryEvent(succeeded, 'task-succeeded')) throw new Error('not a task-succeeded');
    expect(succeeded.result).toBe('42');
    expect(succeeded.runtime).toBeGreaterThanOrEqual(0);
    expect(seen('task-failed', failed)!.traceback).toContain('PeerTaskError: for the events');
    await expect
      .poll(() => seen('task-retried', retried)?.exception, { timeout: 30_000 })
      .toMatch(/^Retry\(/);
    const clocks = events.filter((e) => e.hostname === worker.hostname).map((e) => e.clock ?? 0);
    expect(new Set(clocks).size).toBe(clocks.length); // every event carries its own Lamport tick
  }, 120_000);
});

describe('a Python worker restores what a Lovage worker left unacked', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('restore');
  const layout = layoutFor(config);
  const id = randomUUID();
  let worker: CeleryWorker | undefined;

  afterAll(async () => {
    await worker?.stop();
    await cleanupPeer(redis, config, [layout.resultKey(id)]);
    redis.disconnect();
  }, 60_000);

  it('puts an entry older than the visibility timeout back on its queue at start and runs it once', async () => {
    // As a Lovage worker holding the message would have written it, an hour and more ago (kombu's visibility timeout is 3600 s).
    const envelope = encodeTaskMessage(
      { id, task: 'peer.add', args: [40, 2], queue: config.queue, origin: 'lovage-test@host' },
      'kombu-5.2',
    );
    const tag = envelope.properties.delivery_tag;
    await redis.zadd(layout.unackedIndexKey, Date.now() / 1000 - 4000, tag);
    await redis.hset(
      layout.unackedKey,
      tag,
      encodeUnackedEntry({ envelope, exchange: '', routingKey: config.queue }),
    );
    const binding = layout.queueBinding(config.queue);
    await redis.sadd(binding.key, binding.member);

    worker = await startCeleryWorker({ config, name: 'restorer' });
    const meta = await waitForResult(redis, layout, id);
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 42 });
    expect(await redis.hexists(layout.unackedKey, tag)).toBe(0);
  }, 180_000);
});
