// A worker process SIGKILLed in the middle of a chord on real Redis: the members
// it held are redelivered, and the chord's callback still runs exactly once.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { Lovage, chord, group } from '../../src/index.js';
import { redisUrl, until } from '../support.js';
import { killAll, spawnWorker } from './child.js';

describe('a chord across a worker crash on real Redis', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0)) await c();
  });

  it('runs the callback of a 200-member chord exactly once after a worker is SIGKILLed mid-chord', async () => {
    const prefix = uniquePrefix('chord-fault');
    const env = { LOVAGE_BROKER_URL: redisUrl, LOVAGE_PREFIX: prefix, LOVAGE_VISIBILITY_TIMEOUT: '1s', LOVAGE_LOG_LEVEL: 'silent' };
    const app = new Lovage({ broker: redisUrl, prefix, logLevel: 'silent' });
    const client = new Redis(redisUrl);
    cleanups.push(async () => {
      await app.close();
      await deleteKeysWithPrefix(client, prefix);
      client.disconnect();
    });
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
    // Every member ran (the killed worker's leased ones twice, at most), and the callback once.
    expect(new Set(await client.lrange(`${prefix}members`, '0', '-1')).size).toBe(200);
    expect(await client.lrange(`${prefix}callbacks`, '0', '-1')).toEqual(['200']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
