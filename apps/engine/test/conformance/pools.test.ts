// Both pools against the pool suite, on Redis (the threads pool needs a broker
// its threads' app can name: the app module reads it from the environment).
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { redisUrl } from '../support.js';
import type * as PoolApp from '../fixtures/pool-app.js';
import { poolConformance } from './pool-suite.js';

const prefix = uniquePrefix('pools');
let fixture: typeof PoolApp;
beforeAll(async () => {
  process.env.LOVAGE_BROKER_URL = redisUrl;
  process.env.LOVAGE_PREFIX = prefix;
  fixture = await import('../fixtures/pool-app.js');
});
afterAll(async () => {
  await fixture.app.close();
  const client = new Redis(redisUrl);
  await deleteKeysWithPrefix(client, prefix);
  client.disconnect();
  delete process.env.LOVAGE_BROKER_URL;
  delete process.env.LOVAGE_PREFIX;
});

poolConformance(() => fixture, 'async');
poolConformance(() => fixture, 'threads');
