export { redisTest, uniquePrefix, deleteKeysWithPrefix, type RedisFixture } from './redis.js';
export { testRedisUrl, testPostgresUrl } from './env.js';
export { postgresTest, createTestDatabase, dropTestDatabase, ensureTemplate, databaseUrl, type PostgresFixture } from './postgres.js';
export { startPrivateRedis, freePort, type PrivateRedis } from './private-redis.js';
export { startRedisSentinel, type PrivateRedisSentinel, type RedisSentinelOptions } from './redis-sentinel.js';
export { startRedisCluster, deleteClusterKeysWithPrefix, clusterMasterOf, type PrivateRedisCluster, type RedisClusterNode, type RedisClusterOptions } from './redis-cluster.js';
export { peerConfig, peerEnvironment, peerProjectDir, runPython, runPythonModule, runPythonScript, runPythonJson, cleanupPeer, PythonProcessError, type PeerConfig, type RunPythonOptions } from './python-peer.js';
export { startCeleryWorker, CeleryWorkerError, type CeleryWorker, type CeleryWorkerOptions } from './celery-worker.js';
export { djangoShopDir, djangoShell, manage, createShopDatabase, dropShopDatabase, type DjangoShop } from './django-shop.js';
