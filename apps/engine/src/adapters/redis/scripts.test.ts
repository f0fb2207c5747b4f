import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '@lovage/test-support/redis';
import { queueScript, runScript } from './scripts.js';

const client = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
afterAll(() => client.quit());

describe('runScript', () => {
  it('runs a script the server no longer has (a restart, a failover, SCRIPT FLUSH), and again after', async () => {
    const dead = `${uniquePrefix('scripts')}dead`;
    await client.rpush(dead, 'a', 'b');
    // Other test files on this server get the same NOSCRIPT, and the same second try.
    await client.script('FLUSH');
    // drop-dead: removes up to `limit` entries of a dead-letter list and says how many.
    expect(await runScript(client, 'drop-dead', [dead], [1])).toBe(1);
    expect(await runScript(client, 'drop-dead', [dead], [1])).toBe(1);
    expect(await client.llen(dead)).toBe(0);
  });

  it('refuses a call with a key count other than the one its file names', () => {
    expect(() => runScript(client, 'drop-dead', ['a', 'b'], [1])).toThrow('script drop-dead takes 1 keys, given 2');
  });

  it('runs a script in a pipeline, with its text', async () => {
    const dead = `${uniquePrefix('scripts')}dead`;
    await client.rpush(dead, 'a');
    const pipeline = client.pipeline();
    queueScript(pipeline, 'drop-dead', [dead], [5]);
    expect(await pipeline.exec()).toEqual([[null, 1]]);
  });
});
