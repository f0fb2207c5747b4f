// The Celery broker adapter on a real Redis, without Python: a Lovage app in
// protocol 'celery' publishes and reserves on kombu's layout (the lists,
// bindings and ack emulation a Python worker reads), retries the way Celery
// re-publishes, parks etas in `unacked`, restores what another worker left
// there, and dead-letters what it cannot read.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEnvelope, serializeEnvelope } from '../../src/adapters/celery/kombu-envelope.js';
import { KombuLayout } from '../../src/adapters/celery/kombu-layout.js';
import { decodeTaskMessage, encodeTaskMessage, type CeleryTaskSpec } from '../../src/adapters/celery/task-message.js';
import { decodeUnackedEntry, encodeUnackedEntry } from '../../src/adapters/celery/unacked-entry.js';
import { currentTask, Lovage, type LovageOptions } from '../../src/index.js';
import { redisUrl, until } from '../support.js';
import { pushTask } from './celery-peer-support.js';

describe('the Celery broker adapter (kombu layout on Redis)', () => {
  const redis = new Redis(redisUrl);
  const apps: Lovage[] = [];
  const prefixes: string[] = [];
  let keyPrefix = '';
  let layout: KombuLayout;
  const queue = 'celery';

  function app(options: LovageOptions = {}): Lovage {
    if (keyPrefix === '') {
      keyPrefix = uniquePrefix('celery-broker');
      layout = new KombuLayout({ globalKeyPrefix: keyPrefix });
      prefixes.push(keyPrefix);
    }
    const prefix = uniquePrefix('celery-broker-own');
    prefixes.push(prefix);
    const a = new Lovage({
      protocol: 'celery',
      broker: redisUrl,
      celeryKeyPrefix: keyPrefix,
      prefix,
      taskIgnoreResult: true,
      logLevel: 'silent',
      ...options,
    });
    apps.push(a);
    return a;
  }

  function push(spec: Partial<CeleryTaskSpec> & { task: string }): Promise<string> {
    const id = spec.id ?? randomUUID();
    return pushTask(redis, layout, encodeTaskMessage({ id, queue, origin: 'gen1@py', ...spec }, 'kombu-5.2')).then(() => id);
  }

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    for (const p of prefixes.splice(0)) await deleteKeysWithPrefix(redis, p);
    keyPrefix = '';
  });

  it("runs a protocol v2 message from kombu's list, holding it in unacked as [envelope, exchange, routing_key] until it acks", async () => {
    const a = app();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: unknown[] = [];
    a.task('proj.add', async (x: number, y: number, kwargs?: { z: number }) => {
      seen.push([x, y, kwargs, currentTask().kwargs, currentTask().args]);
      await gate;
      return x + y;
    });
    const worker = a.worker({ maintenanceInterval: 50 });
    await worker.start();
    const id = await push({ task: 'proj.add', args: [2, 3], kwargs: { z: 1 } });
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual([2, 3, { z: 1 }, { z: 1 }, [2, 3]]);
    const entries = await redis.hgetall(layout.unackedKey);
    expect(Object.keys(entries)).toHaveLength(1);
    const [tag, text] = Object.entries(entries)[0]!;
    const entry = decodeUnackedEntry(text);
    expect(entry).toMatchObject({ exchange: '', routingKey: queue });
    expect(decodeTaskMessage(entry.envelope)).toMatchObject({ id, deliveryTag: tag, args: [2, 3] });
    expect(await redis.zscore(layout.unackedIndexKey, tag)).not.toBeNull();
    release();
    await until(() => worker.stats.succeeded === 1);
    await until(async () => (await redis.hlen(layout.unackedKey)) === 0 && (await redis.zcard(layout.unackedIndexKey)) === 0);
  });

  it("publishes applyAsync where kombu does (binding, priority sub-list) as protocol v2 with kwargs, and a worker runs it", async () => {
    const a = app();
    const greet = a.task('proj.greet', (name: string, kw?: { loud?: boolean }) => (kw?.loud ? name.toUpperCase() : name));
    const result = await greet.applyAsync(['ada'], { kwargs: { loud: true }, priority: 5 });
    const binding = layout.queueBinding(queue);
    expect(await redis.sismember(binding.key, binding.member)).toBe(1);
    const raw = await redis.lrange(layout.queueKey(queue, 5), 0, -1);
    expect(raw).toHaveLength(1);
    expect(layout.queueKey(queue, 5)).toBe(`${keyPrefix}celery\x06\x163`);
    expect(decodeTaskMessage(raw[0])).toMatchObject({
      protocol: 2,
      id: result.id,
      task: 'proj.greet',
      args: ['ada'],
      kwargs: { loud: true },
      priority: 5,
      rootId: result.id,
      lang: 'ts',
    });
    const quiet = a.task('proj.quiet', () => 'unseen', { ignoreResult: true });
    const ignored = await quiet.delay();
    const [quietRaw] = await redis.lrange(layout.queueKey(queue), 0, -1);
    expect(decodeTaskMessage(quietRaw)).toMatchObject({ id: ignored.id, ignoreResult: true });
    const worker = a.worker({ maintenanceInterval: 50 });
    await worker.start();
    await until(() => worker.stats.succeeded === 2);
    expect(await redis.llen(layout.queueKey(queue, 5))).toBe(0);
  });

  it('retries by re-publishing (retries + 1, eta in the headers), parking the eta in unacked until it is due', async () => {
    const a = app();
    const runs: { retries: number; at: number }[] = [];
    a.task(
      'proj.flaky',
      () => {
        const ctx = currentTask();
        runs.push({ retries: ctx.retries, at: Date.now() });
        if (ctx.retries < 2) throw ctx.retry({ countdown: 400 });
        return 'ok';
      },
      { maxRetries: 3 },
    );
    const worker = a.worker({ maintenanceInterval: 50 });
    await worker.start();
    await push({ task: 'proj.flaky' });
    // While the first retry waits, its message is parked: in unacked, scored eta - visibility timeout.
    await until(() => runs.length === 1);
    // The next try is reserved (scored now) before the worker parks it (scored an hour before its eta).
    const parkedNow = async (): Promise<boolean> => {
      const [tag, score] = await redis.zrange(layout.unackedIndexKey, '0', '-1', 'WITHSCORES');
      return tag !== undefined && Number(score) * 1000 < Date.now() - 60_000;
    };
    await until(async () => (await redis.hlen(layout.unackedKey)) === 1 && (await parkedNow()));
    const [[tag, text]] = Object.entries(await redis.hgetall(layout.unackedKey)) as [[string, string]];
    const parked = decodeTaskMessage(decodeUnackedEntry(text).envelope);
    expect(parked).toMatchObject({ retries: 1, task: 'proj.flaky' });
    const score = Number(await redis.zscore(layout.unackedIndexKey, tag));
    expect(score * 1000).toBeCloseTo(parked.eta!.getTime() - 3_600_000, -2);
    await until(() => worker.stats.succeeded === 1);
    expect(runs.map((r) => r.retries)).toEqual([0, 1, 2]);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(400);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(400);
    expect(await redis.hlen(layout.unackedKey)).toBe(0);
  });

  it('dead-letters what it cannot run, with a reason each, and goes on', async () => {
    const a = app();
    a.task('proj.add', (x: number, y: number) => x + y);
    const worker = a.worker({ maintenanceInterval: 50 });
    await worker.start();
    await redis.lpush(layout.queueKey(queue), '{this is not json');
    const noTag = JSON.parse(serializeEnvelope(encodeTaskMessage({ id: 'no-tag', task: 'proj.add', args: [1, 1], queue, origin: 'py' }, 'kombu-5.2'))) as {
      properties: Record<string, unknown>;
    };
    delete noTag.properties.delivery_tag;
    await redis.lpush(layout.queueKey(queue), JSON.stringify(noTag));
    await pushTask(
      redis,
      layout,
      buildEnvelope({ bodyText: '[[1, 2], {}]', headers: { lang: 'py', task: 'proj.add', id: 'two-elements' }, exchange: '', routingKey: queue, deliveryMode: 2 }),
    );
    await push({ id: 'unknown', task: 'proj.nope' });
    await push({ task: 'proj.add', args: [20, 22] });
    await until(() => worker.stats.succeeded === 1 && worker.stats.deadLettered === 4);
    const dead = await a.queues.deadLetters(queue);
    expect(dead.map((d) => [d.id, d.reason]).sort()).toEqual(
      [
        ['', 'malformed message: invalid JSON'],
        ['no-tag', 'malformed message: properties.delivery_tag: expected a non-empty string'],
        ['two-elements', 'malformed message: body: has 2 element(s); protocol v2 needs exactly [args, kwargs, embed]'],
        ['unknown', 'unknown task "proj.nope"'],
      ].sort(),
    );
    expect(dead.every((d) => d.queue === queue)).toBe(true);
    expect(await redis.hlen(layout.unackedKey)).toBe(0);
    expect(worker.running).toBe(true);
  });

  it("restores another worker's expired unacked entry as kombu does, under unacked_mutex, and not while the mutex is held", async () => {
    const a = app();
    const broker = a.broker();
    const envelope = encodeTaskMessage({ id: 'held', task: 'proj.add', args: [1, 2], queue, origin: 'py', priority: 6 }, 'kombu-5.2');
    const tag = envelope.properties.delivery_tag;
    await redis.hset(layout.unackedKey, tag, encodeUnackedEntry({ envelope, exchange: '', routingKey: queue }));
    await redis.zadd(layout.unackedIndexKey, Date.now() / 1000 - 3_700, tag);
    await redis.set(layout.unackedMutexKey, 'a-python-worker', 'PX', 10_000);
    expect(await broker.recoverExpired(queue, 5)).toEqual({ requeued: 0, dead: 0 });
    expect(await redis.hexists(layout.unackedKey, tag)).toBe(1);
    await redis.del(layout.unackedMutexKey);
    expect(await broker.recoverExpired(queue, 5)).toEqual({ requeued: 1, dead: 0 });
    expect(await redis.exists(layout.unackedMutexKey)).toBe(0);
    expect(await redis.hlen(layout.unackedKey)).toBe(0);
    const restored = await redis.lrange(layout.queueKey(queue, 6), 0, -1);
    expect(restored).toHaveLength(1);
    expect(decodeTaskMessage(restored[0])).toMatchObject({ id: 'held', redelivered: true, deliveryTag: tag });
    // A fresh entry (within the visibility timeout) stays where it is.
    await redis.hset(layout.unackedKey, 'fresh', encodeUnackedEntry({ envelope, exchange: '', routingKey: queue }));
    await redis.zadd(layout.unackedIndexKey, Date.now() / 1000, 'fresh');
    expect(await broker.recoverExpired(queue, 5)).toEqual({ requeued: 0, dead: 0 });
  });
});
