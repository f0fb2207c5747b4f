// Faults on the amqp adapter with real worker processes: a RabbitMQ restart
// under load on a private node (its own ports and data: the shared node on
// 5672 never goes down), and a poison message that kills every worker taking
// it, dead-lettered with its reason once it has been lost maxDeliveries times.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, type Logger } from '../../src/index.js';
import { redisUrl, until } from '../support.js';
import { killAll, spawnWorker } from '../fault/child.js';
import { amqpUrl, deleteAmqpPrefix } from './amqp-topology.js';
import { startPrivateRabbit, type PrivateRabbit } from './private-rabbitmq.js';

/** A logger that keeps the messages, for assertions on what the producer logged. */
function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const keep = (_: object, msg?: string): void => void (msg && messages.push(msg));
  return { messages, debug() {}, info: keep, warn: keep, error: keep };
}

const count = (lines: string[], text: string): number => lines.filter((line) => line.includes(text)).length;

describe('amqp faults', () => {
  let rabbit: PrivateRabbit | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
    await rabbit?.destroy();
    rabbit = undefined;
  });

  function setup(broker: string, extraEnv: Record<string, string> = {}, logger?: Logger) {
    const prefix = uniquePrefix('amqp-fault');
    const env = { LOVAGE_BROKER_URL: broker, LOVAGE_RESULT_BACKEND: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_LOG_LEVEL: 'silent', ...extraEnv };
    const app = new Lovage({ broker, backend: redisUrl, prefix, ...(logger ? { logger } : { logLevel: 'silent' }) });
    const client = new Redis(redisUrl);
    cleanups.push(async () => {
      await app.close();
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
      if (broker === amqpUrl) await deleteAmqpPrefix(prefix);
    });
    return { prefix, env, app, client };
  }

  it('runs every acknowledged task after a RabbitMQ restart under load, re-running only leased ones, with one warning and one recovery line', async () => {
    rabbit = await startPrivateRabbit();
    const logger = recordingLogger();
    const { prefix, env, app, client } = setup(rabbit.url, { LOVAGE_LOG_LEVEL: 'info' }, logger);
    const mark = app.task('fault.mark', (_n: number) => 0);
    const worker = spawnWorker(env, ['-c', '20', '--prefetch', '40']);
    await worker.ready;
    await mark.bulkApply(Array.from({ length: 2000 }, (_, i) => [i] as [number]));
    // Acknowledged before the restart and due after it: kept in the broker's delay levels, not in a worker.
    await mark.applyAsync([5000], { countdown: 2 });
    await until(async () => (await client.scard(`${prefix}marks`)) >= 300, 60_000);

    await rabbit.stop();
    // Producers keep calling delay() while the broker is away: the calls wait for it instead of failing.
    const sentDuringOutage = Promise.all(Array.from({ length: 500 }, (_, i) => mark.delay(2000 + i)));
    await rabbit.start();
    await sentDuringOutage;

    const runs = async () => (await client.smembers(`${prefix}marks`)).map((member) => member.split(':')[0]);
    await until(async () => new Set(await runs()).size === 2501, 180_000);
    // At-least-once: only messages a worker held unacknowledged when the broker went down (at most its prefetch) ran twice.
    expect((await runs()).length - 2501).toBeLessThanOrEqual(40);

    const workerLines = () => worker.output().split('\n');
    expect(count(workerLines(), 'broker connection lost, reconnecting')).toBe(1);
    await until(() => count(workerLines(), 'broker connection restored') === 1, 30_000);
    expect(count(logger.messages, 'broker connection lost, reconnecting')).toBe(1);
    expect(count(logger.messages, 'broker connection restored')).toBe(1);
    // The control bus subscribed again on the new connection: remote control reaches the worker.
    await until(async () => Object.keys(await app.control.ping({ timeout: 1_000 })).length === 1, 30_000);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 400_000);

  it('keeps a 10-minute ETA in the broker past consumer_timeout without blocking the worker; only a held lease trips the timeout', async () => {
    // consumer_timeout 2 s, checked every 0.5 s: RabbitMQ closes a channel that holds any message unacknowledged longer.
    rabbit = await startPrivateRabbit(['consumer_timeout = 2000'], ['{channel_tick_interval, 500}']);
    const logger = recordingLogger();
    const { app } = setup(rabbit.url, {}, logger);
    const later = app.task('eta.later', () => 'ran late');
    let holding = false;
    const quick = app.task('eta.quick', async (hold: boolean) => {
      if (hold) {
        holding = true;
        await new Promise((resolve) => setTimeout(resolve, 4_000));
      }
      return 'ok';
    });
    const worker = app.worker({ maintenanceInterval: 50 });
    await worker.start();
    const tenMinutes = await later.applyAsync([], { countdown: 600_000 });
    const sentAt = Date.now();
    const eightSeconds = await later.applyAsync([], { countdown: 8_000 });
    // The worker keeps serving while both wait in the broker, across several consumer_timeout periods.
    while ((await eightSeconds.state()) !== 'SUCCESS') expect(await (await quick.delay(false)).get({ timeout: 20_000 })).toBe('ok');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(8_000);
    expect(await eightSeconds.get()).toBe('ran late');
    expect(logger.messages.filter((m) => m.includes('connection lost'))).toEqual([]);
    expect(await tenMinutes.state()).toBe('PENDING');
    expect(await app.broker().queueStats('default')).toMatchObject({ delayed: 1, ready: 0 });
    // The control: a lease held past consumer_timeout does trip it, and the adapter reconnects.
    await quick.delay(true);
    await until(() => holding, 20_000);
    await until(() => logger.messages.some((m) => m.includes('broker connection lost, reconnecting')), 20_000);
    await until(() => logger.messages.some((m) => m.includes('broker connection restored')), 30_000);
    await worker.close();
  }, 300_000);

  it('dead-letters a message that kills its workers once it was lost maxDeliveries times, while a worker keeps serving', async () => {
    const { env, app } = setup(amqpUrl, { LOVAGE_MAX_DELIVERIES: '2' });
    const poison = app.task('fault.poison', () => undefined);
    const record = app.task('fault.record', (_n: number) => 0);
    await poison.delay();
    for (let i = 0; i < 2; i++) {
      const w = spawnWorker(env);
      await w.ready;
      await w.exited; // the poison task SIGKILLs it; RabbitMQ redelivers what it held
    }
    const survivor = spawnWorker(env);
    await survivor.ready;
    const broker = app.broker();
    await until(async () => (await broker.deadLetters('default')).length === 1, 30_000);
    const [dead] = await broker.deadLetters('default');
    expect(dead?.reason).toBe('delivered 2 times to workers that died or lost their connection (maxDeliveries 2)');
    expect(JSON.parse(dead!.body)).toMatchObject({ task: 'fault.poison' });
    expect(await (await record.delay(1)).get({ timeout: 20_000 })).toBe(1);
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 120_000);
});
