// Fault tests against real Redis with real worker processes.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, chord, group } from '../../src/index.js';
import { queueKeys } from '../../src/adapters/redis/keys.js';
import { redisUrl, sleep, until } from '../support.js';
import { killAll, spawnWorker } from './child.js';

describe('worker faults on real Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
  });

  function setup(extraEnv: Record<string, string> = {}) {
    const prefix = uniquePrefix('fault');
    const env = { LOVAGE_BROKER_URL: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_VISIBILITY_TIMEOUT: '1s', LOVAGE_LOG_LEVEL: 'silent', ...extraEnv };
    const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
    const client = new Redis(redisUrl);
    cleanups.push(async () => {
      await app.close();
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    });
    // The producer registers the same names the child's app does.
    const record = app.task('fault.record', (_n: number) => 0);
    const poison = app.task('fault.poison', () => undefined);
    return { prefix, env, app, client, record, poison };
  }

  it('completes all 1,000 tasks after a worker is SIGKILLed mid-run, re-running only its leased ones', async () => {
    const { prefix, env, client, record } = setup();
    await record.bulkApply(Array.from({ length: 1000 }, (_, i) => [i] as [number]));
    const first = spawnWorker(env, ['-c', '10', '--prefetch', '20']);
    await first.ready;
    await until(async () => (await client.llen(`${prefix}runs`)) >= 250, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = spawnWorker(env, ['-c', '10', '--prefetch', '20']);
    await second.ready;
    await until(async () => new Set(await client.lrange(`${prefix}runs`, '0', '-1')).size === 1000, 90_000);
    const runs = await client.lrange(`${prefix}runs`, '0', '-1');
    // Every task ran; the only repeats are tasks the killed worker held under a lease.
    expect(new Set(runs).size).toBe(1000);
    expect(runs.length - 1000).toBeLessThanOrEqual(20);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('runs the callback of a 200-member chord exactly once after a worker is SIGKILLed mid-chord', async () => {
    const { prefix, env, app, client } = setup();
    // The producer registers the names the child's app runs.
    const member = app.task('fault.member', (n: number) => n);
    const collect = app.task('fault.collect', (values: number[]) => values.length);
    const result = await chord(group(Array.from({ length: 200 }, (_, i) => member.s(i))), collect.s()).applyAsync();
    const first = spawnWorker(env, ['-c', '4', '--prefetch', '8']);
    await first.ready;
    await until(async () => (await client.llen(`${prefix}members`)) >= 60, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    // Killed in the middle: the chord was not complete.
    expect(await client.llen(`${prefix}members`)).toBeLessThan(200);
    expect(await result.state()).toBe('PENDING');
    const second = spawnWorker(env, ['-c', '4', '--prefetch', '8']);
    await second.ready;
    expect(await result.get({ timeout: 60_000 })).toBe((199 * 200) / 2);
    // Every member ran (the killed worker's leased ones possibly twice), the callback once.
    expect(new Set(await client.lrange(`${prefix}members`, '0', '-1')).size).toBe(200);
    expect(await client.lrange(`${prefix}callbacks`, '0', '-1')).toEqual(['200']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);

  it('dead-letters a poison task after maxDeliveries while a worker keeps serving others', async () => {
    const { env, app, poison, record } = setup({ LOVAGE_MAX_DELIVERIES: '2' });
    await poison.delay();
    for (let i = 0; i < 2; i++) {
      const w = spawnWorker(env);
      await w.ready;
      await w.exited; // the poison task SIGKILLs it
    }
    const survivor = spawnWorker(env);
    await survivor.ready;
    const broker = app.broker();
    await until(async () => (await broker.deadLetters('default')).length === 1, 20_000);
    const [dead] = await broker.deadLetters('default');
    expect(dead?.reason).toContain('maxDeliveries 2');
    expect(JSON.parse(dead!.body)).toMatchObject({ task: 'fault.poison' });
    expect(await (await record.delay(1)).get({ timeout: 10_000 })).toBe(1);
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 120_000);

  it('dead-letters malformed messages pushed by hand with a reason and keeps serving', async () => {
    const { prefix, env, app, client, record } = setup();
    const w = spawnWorker(env);
    await w.ready;
    const k = queueKeys(prefix, 'default');
    await client
      .multi()
      .hset(k.messages, 'hand-1', 'this is not json', 'hand-2', '{"v":1,"task":"fault.record"}', 'hand-3', '{"v":1,"id":"hand-3","task":"nope","args":[],"queue":"default","priority":0,"retries":0,"headers":{},"attempts":[],"sentAt":0}')
      .zadd(k.ready, 1, 'hand-1', 2, 'hand-2', 3, 'hand-3')
      .lpush(k.marker, '1')
      .exec();
    const broker = app.broker();
    await until(async () => (await broker.deadLetters('default')).length === 3, 20_000);
    const reasons = new Map((await broker.deadLetters('default')).map((d) => [d.id, d.reason]));
    expect(reasons.get('hand-1')).toMatch(/^malformed message: invalid JSON/);
    expect(reasons.get('hand-2')).toMatch(/^malformed message: id/);
    expect(reasons.get('hand-3')).toBe('unknown task "nope"');
    expect(await (await record.delay(5)).get({ timeout: 10_000 })).toBe(5);
    expect(w.child.exitCode).toBeNull();
    await sleep(10);
  }, 60_000);
});
