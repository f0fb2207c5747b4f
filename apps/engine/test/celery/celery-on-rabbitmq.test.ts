// Celery's protocol on RabbitMQ: a Lovage app with protocol 'celery' and an
// amqp:// broker shares Celery's own exchanges and queues with Python Celery
// 5.2.6 (py-amqp transport), results on the Redis result backend. Each run
// gets a RabbitMQ vhost of its own (Celery's names are fixed) and a unique queue.
import { connect, type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { startCeleryWorker, type CeleryWorker } from '@lovage/test-support/celery-worker';
import { peerConfig, runPython, runPythonJson, type PeerConfig } from '@lovage/test-support/python-peer';
import { createRabbitVhost, type RabbitVhost } from '@lovage/test-support/rabbitmq-vhost';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTaskMessage } from '../../src/adapters/celery/task-message.js';
import { frameOfEnvelope } from '../../src/adapters/celery-amqp/amqp-frames.js';
import { deadQueue } from '../../src/adapters/celery-amqp/topology.js';
import { ConfigError, Lovage, TaskFailedError, currentTask, type Worker } from '../../src/index.js';
import { until } from '../support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe('Celery on RabbitMQ: Lovage and Python share one cluster', () => {
  const redis = new Redis(redisUrl);
  let vhost: RabbitVhost;
  let config: PeerConfig;
  let app: Lovage;
  let worker: Worker;
  let amqp: ChannelModel;
  const prefix = uniquePrefix('celery-amqp');
  const resultKeys: string[] = [];
  const ran: string[] = [];

  beforeAll(async () => {
    vhost = await createRabbitVhost('celery');
    config = peerConfig('rabbit', { brokerUrl: vhost.url, resultBackend: redisUrl });
    app = new Lovage({
      protocol: 'celery',
      broker: vhost.url,
      backend: redisUrl,
      defaultQueue: config.queue,
      prefix,
      logLevel: 'silent',
      heartbeatInterval: 500,
      eventsFlushInterval: 20,
    });
    app.task('ts.add', (x: number, y: number, kwargs?: { z?: number }) => {
      ran.push(currentTask().id);
      return x + y + (kwargs?.z ?? 0);
    });
    app.task('ts.fail', (message: string) => {
      throw new PaymentDeclined(`declined in TypeScript: ${message}`);
    });
    worker = app.worker({ concurrency: 4 });
    await worker.start();
    amqp = await connect(vhost.url);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await amqp?.close().catch(() => undefined);
    await deleteKeysWithPrefix(redis, prefix);
    if (resultKeys.length > 0) await redis.del(...resultKeys);
    redis.disconnect();
    await vhost?.drop();
  }, 120_000);

  it('names `backend` when protocol celery on amqp:// has no Redis result backend', () => {
    expect(() => new Lovage({ protocol: 'celery', broker: vhost.url })).toThrow(ConfigError);
    expect(() => new Lovage({ protocol: 'celery', broker: vhost.url })).toThrow(/^backend: protocol 'celery' on an amqp:\/\/ broker.*set `backend` to a redis:\/\//);
  });

  it("a Python producer's delay() and countdown run on the Lovage worker; Python's get() returns, and a TS failure raises in Python", async () => {
    const out = await runPythonJson<{ ids: string[]; now: number; later: number; failed: string }>(
      `
import json
from peer_project import app
r1 = app.send_task('ts.add', args=[2, 3], kwargs={'z': 4})
r2 = app.send_task('ts.add', args=[20, 22], countdown=1)
r3 = app.send_task('ts.fail', args=['card'])
try:
    r3.get(timeout=60)
    failed = 'no exception'
except Exception as e:
    failed = type(e).__name__ + ': ' + str(e)
print(json.dumps({'ids': [r1.id, r2.id, r3.id], 'now': r1.get(timeout=60), 'later': r2.get(timeout=60), 'failed': failed}))
`,
      config,
      { timeoutMs: 120_000 },
    );
    resultKeys.push(...out.ids.map((id) => `celery-task-meta-${id}`));
    expect(out.now).toBe(9);
    expect(out.later).toBe(42);
    expect(out.failed).toBe('PaymentDeclined: declined in TypeScript: card');
    expect(ran).toEqual(expect.arrayContaining([out.ids[0], out.ids[1]]));
  }, 150_000);

  it('Celery declares the same queue after Lovage did: no PRECONDITION_FAILED, and the task frame is what kombu sends', async () => {
    // kombu's own declare of the queue, its exchange and the binding, as a Python worker does at start.
    const declared = await runPythonJson<{ ok: boolean; args: unknown }>(
      `
import json
from peer_project import app
with app.connection_for_write() as conn:
    q = app.amqp.queues[app.conf.task_default_queue](conn.default_channel)
    q.declare()
    print(json.dumps({'ok': True, 'args': q.queue_arguments}))
`,
      config,
    );
    expect(declared).toEqual({ ok: true, args: null });
    // A Lovage producer's frame, read off the queue: properties and headers where kombu puts them.
    const other = `${config.queue}-peek`;
    const ch = await amqp.createChannel();
    await ch.assertQueue(other, { durable: true });
    const producer = new Lovage({ protocol: 'celery', broker: vhost.url, backend: redisUrl, defaultQueue: other, prefix, logLevel: 'silent' });
    try {
      const sent = await producer.sendTask('peer.add', [1, 2], { priority: 3 });
      const got = await ch.get(other, { noAck: true });
      expect(got).not.toBe(false);
      if (got === false) return;
      expect(got.properties).toMatchObject({
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        priority: 3,
        correlationId: sent.id,
      });
      expect(got.properties.headers).toMatchObject({ lang: 'ts', task: 'peer.add', id: sent.id, root_id: sent.id, retries: 0 });
      expect(got.fields).toMatchObject({ exchange: '', routingKey: other });
      expect(JSON.parse(got.content.toString())).toEqual([[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    } finally {
      await producer.close();
      await ch.deleteQueue(other);
      await ch.close();
    }
  }, 120_000);

  it('a malformed message is dead-lettered with its reason and the worker goes on', async () => {
    const ch = await amqp.createConfirmChannel();
    const good = encodeTaskMessage({ id: 'bad-json-neighbour', task: 'ts.add', args: [1, 1], kwargs: {}, queue: config.queue, origin: 'test' }, 'kombu-5.2');
    const frame = frameOfEnvelope(good);
    const headers = frame.options.headers as Record<string, unknown>;
    ch.publish('', config.queue, Buffer.from('{not json'), { ...frame.options, correlationId: 'bad-json', headers: { ...headers, id: 'bad-json' } });
    ch.publish('', config.queue, Buffer.from('[[1, 1], {}]'), { ...frame.options, correlationId: 'two-elements', headers: { ...headers, id: 'two-elements' } });
    ch.publish('', config.queue, frame.content, frame.options);
    await ch.waitForConfirms();
    await ch.close();
    resultKeys.push('celery-task-meta-bad-json-neighbour');
    await until(async () => (await app.backend.get('bad-json-neighbour'))?.state === 'SUCCESS', 60_000);
    let dead: { id: string; reason: string }[] = [];
    await until(async () => {
      dead = await app.queues.deadLetters(config.queue);
      return dead.length >= 2;
    }, 60_000);
    const reasons = Object.fromEntries(dead.map((d) => [d.id, d.reason]));
    expect(reasons['bad-json']).toMatch(/^malformed message: body/);
    expect(reasons['two-elements']).toMatch(/^malformed message/);
    // Nothing left unacknowledged on the queue.
    const check = await amqp.createChannel();
    expect((await check.checkQueue(deadQueue(config.queue))).messageCount).toBe(2);
    await check.close();
  }, 120_000);

  describe('with a Python worker on the same RabbitMQ', () => {
    let python: CeleryWorker;

    beforeAll(async () => {
      python = await startCeleryWorker({ config: { ...config, queue: `${config.queue}-py` }, name: 'py', events: true });
    }, 150_000);

    afterAll(async () => {
      await python?.stop();
    }, 60_000);

    it("a Lovage producer's tasks run on the Python worker: values, kwargs, countdown, and a Python failure", async () => {
      const queue = `${config.queue}-py`;
      const sum = await app.sendTask('peer.add', [2, 5], { queue });
      const described = await app.sendTask('peer.describe', ['x'], { queue, kwargs: { n: 1 }, countdown: 1 });
      const failed = await app.sendTask('peer.fail', ['boom'], { queue });
      resultKeys.push(...[sum.id, described.id, failed.id].map((id) => `celery-task-meta-${id}`));
      expect(await sum.get({ timeout: 60_000 })).toBe(7);
      expect(await described.get({ timeout: 60_000 })).toMatchObject({ args: ['x'], kwargs: { n: 1 } });
      const error = await failed.get({ timeout: 60_000 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as TaskFailedError).message).toContain('boom');
    }, 120_000);

    it("`celery inspect ping` reaches the Lovage worker, and Lovage's app.control pings the Python worker", async () => {
      const { stdout } = await runPython(
        `
import json
from peer_project import app
print(json.dumps(app.control.inspect(timeout=5).ping()))
`,
        config,
        { timeoutMs: 90_000 },
      );
      const pongs = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(pongs[worker.hostname]).toEqual({ ok: 'pong' });
      expect(pongs[python.hostname]).toEqual({ ok: 'pong' });
      const replies = await app.control.ping({ timeout: 5_000 });
      expect(Object.keys(replies)).toEqual(expect.arrayContaining([python.hostname, worker.hostname]));
    }, 120_000);

    it("a `celery events` receiver sees the Lovage worker's heartbeats and task events on celeryev", async () => {
      // Python's own receiver (app.events.Receiver on the py-amqp transport) until it saw both.
      const receiver = runPythonJson<{ heartbeat: { sw_ident: string }; succeeded: { uuid: string } }>(
        `
import json
from peer_project import app
seen = {}
def on(event):
    if event['type'] == 'worker-heartbeat' and event['hostname'] == ${JSON.stringify(worker.hostname)}:
        seen['heartbeat'] = event
    if event['type'] == 'task-succeeded' and event['hostname'] == ${JSON.stringify(worker.hostname)}:
        seen['succeeded'] = event
    if len(seen) == 2:
        raise SystemExit(0)
with app.connection() as conn:
    recv = app.events.Receiver(conn, handlers={'*': on})
    try:
        recv.capture(limit=None, timeout=60)
    except SystemExit:
        pass
print(json.dumps(seen, default=str))
`,
        config,
        { timeoutMs: 90_000 },
      );
      let done = false;
      void receiver.finally(() => (done = true)).catch(() => undefined);
      // Tasks keep coming until the receiver (whose queue exists only once it runs) has seen one.
      while (!done) {
        const r = await app.sendTask('ts.add', [1, 2]);
        resultKeys.push(`celery-task-meta-${r.id}`);
        await r.get({ timeout: 60_000 });
        await until(() => done, 1_000).catch(() => undefined);
      }
      const seen = await receiver;
      expect(seen.heartbeat.sw_ident).toBe('lovage');
      expect(typeof seen.succeeded.uuid).toBe('string');
    }, 150_000);
  });
});
