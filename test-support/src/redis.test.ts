import { expect } from 'vitest';
import { redisTest, deleteKeysWithPrefix } from './redis.js';

redisTest('each test gets a fresh prefix with no keys under it', async ({ redis }) => {
  expect(redis.prefix).toMatch(/^lvt:test:[0-9a-f]{8}:$/);
  expect(await redis.client.keys(`${redis.prefix}*`)).toEqual([]);
  await redis.client.set(`${redis.prefix}a`, '1');
});

redisTest('deleteKeysWithPrefix removes only keys under the prefix', async ({ redis }) => {
  const outsider = `${redis.prefix.slice(0, -1)}-outsider`;
  await redis.client.mset(`${redis.prefix}a`, '1', `${redis.prefix}b`, '2', outsider, '3');
  expect(await deleteKeysWithPrefix(redis.client, redis.prefix)).toBe(2);
  expect(await redis.client.get(outsider)).toBe('3');
  await redis.client.del(outsider);
});
