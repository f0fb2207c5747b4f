export { redisTest, uniquePrefix, deleteKeysWithPrefix, type RedisFixture } from './redis.js';
export { testRedisUrl, testPostgresUrl } from './env.js';
