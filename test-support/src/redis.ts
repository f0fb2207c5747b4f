// A Vitest fixture that hands each test its own Redis key prefix on the shared
// server and deletes every key under that prefix afterwards, so test files can
// run in parallel against one Redis without seeing each other's keys.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { test as base } from 'vitest';
import { testRedisUrl } from './env.js';

export interface RedisFixture {
  /** The Redis URL tests should give to the code under test. */
  url: string;
  /** A unique key prefix for this test, ending in ':'. */
  prefix: string;
  /** A client for assertions; closed after the test. */
  client: Redis;
}

export function uniquePrefix(label = 'test'): string {
  return `lvt:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix`, with SCAN so a big keyspace never blocks Redis. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export const redisTest = base.extend<{ redis: RedisFixture }>({
  // eslint-disable-next-line no-empty-pattern
  redis: async ({}, use) => {
    const client = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const prefix = uniquePrefix();
    await use({ url: testRedisUrl, prefix, client });
    await deleteKeysWithPrefix(client, prefix);
    client.disconnect();
  },
});
