// A Vitest fixture that hands each test its own Redis key prefix on the shared
// server and deletes every key under that prefix afterwards, so test files can
// run in parallel against one Redis without seeing each other's keys.
import { Redis } from 'ioredis';
import { test as base } from 'vitest';
import { testRedisUrl } from './env.js';
import { deleteKeysWithPrefix, uniquePrefix } from './redis-keys.js';

export interface RedisFixture {
  /** The Redis URL tests should give to the code under test. */
  url: string;
  /** A unique key prefix for this test, ending in ':'. */
  prefix: string;
  /** A client for assertions; closed after the test. */
  client: Redis;
}

export { uniquePrefix, deleteKeysWithPrefix };

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
