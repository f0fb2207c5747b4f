// The redis adapter on a real Redis Cluster (three masters, three replicas,
// private to this file and started once for all its tests) against every
// conformance suite (see all.ts) and the beat suite. The suites read the Redis
// URL when they are imported, so the cluster starts first and the suites are
// imported after.
import { afterAll } from 'vitest';
import { startRedisCluster } from '@lovage/test-support/redis-cluster';

const cluster = await startRedisCluster();
afterAll(() => cluster.stop());

const shared = process.env.TEST_REDIS_URL;
process.env.TEST_REDIS_URL = cluster.url;
const { allConformance } = await import('./all.js');
const { beatConformance } = await import('../beat/beat-suite.js');
if (shared === undefined) delete process.env.TEST_REDIS_URL;
else process.env.TEST_REDIS_URL = shared;

allConformance('redis');
beatConformance('redis');
