// Test helpers: an app on a fresh prefix of the chosen transport, and a worker
// that is always closed after the test.
import { Cluster, Redis } from 'ioredis';
import { deleteKeysWithPrefix, uniquePrefix } from '@lovage/test-support/redis';
import { deleteClusterKeysWithPrefix } from '@lovage/test-support/redis-cluster';
import { Lovage, type LovageOptions, type WorkerOptions, type Worker } from '../src/index.js';
import { amqpUrl, deleteAmqpPrefix } from './amqp/amqp-topology.js';

/** 'amqp' is RabbitMQ for the queues with the shared Redis as the `backend` store. */
export type Kind = 'memory' | 'redis' | 'amqp';
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Deletes a test's keys from the test Redis: the shared server, or the private cluster a Cluster run points TEST_REDIS_URL at. */
export async function deleteTestKeys(prefix: string): Promise<void> {
  const cluster = /^rediss?\+cluster:\/\/(?:[^@/]*@)?([^/]+)/.exec(redisUrl);
  if (cluster) {
    const client = new Cluster(cluster[1]!.split(',').map((hostPort) => ({ host: hostPort.split(':')[0], port: Number(hostPort.split(':')[1]) })));
    await deleteClusterKeysWithPrefix(client, prefix);
    client.disconnect();
    return;
  }
  const client = new Redis(redisUrl);
  await deleteKeysWithPrefix(client, prefix);
  client.disconnect();
}

export interface Harness {
  kind: Kind;
  prefix: string;
  app(options?: LovageOptions): Lovage;
  worker(app: Lovage, options?: WorkerOptions): Promise<Worker>;
  close(): Promise<void>;
}

export function harness(kind: Kind, prefix = uniquePrefix('engine')): Harness {
  const apps: Lovage[] = [];
  const broker = kind === 'memory' ? `memory://${prefix}` : kind === 'amqp' ? amqpUrl : redisUrl;
  const backend = kind === 'amqp' ? redisUrl : undefined;
  return {
    kind,
    prefix,
    app(options = {}) {
      const app = new Lovage({ broker, backend, prefix, logLevel: 'silent', ...options });
      apps.push(app);
      return app;
    },
    async worker(app, options = {}) {
      const worker = app.worker({ maintenanceInterval: 50, ...options });
      await worker.start();
      return worker;
    },
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      if (kind !== 'memory') await deleteTestKeys(prefix);
      if (kind === 'amqp') await deleteAmqpPrefix(prefix);
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/**
 * A fixture app module (one built with `Lovage.fromEnv`) served by a threads-pool
 * worker: the environment points it at the test Redis under a fresh prefix before
 * it is imported, and the pool's threads, which import it too, read the same.
 */
export async function threadsPoolFixture<M extends { app: Lovage }>(
  load: () => Promise<M>,
  options: { appModule: string; concurrency: number; name: string },
): Promise<{ fixture: M; close: () => Promise<void> }> {
  const prefix = uniquePrefix(options.name);
  process.env.LOVAGE_BROKER_URL = redisUrl;
  process.env.LOVAGE_PREFIX = prefix;
  process.env.LOVAGE_LOG_LEVEL = 'silent';
  const fixture = await load();
  await fixture.app.worker({ pool: 'threads', concurrency: options.concurrency, appModule: options.appModule, maintenanceInterval: 50 }).start();
  return {
    fixture,
    close: async () => {
      await fixture.app.close();
      await deleteTestKeys(prefix);
      delete process.env.LOVAGE_BROKER_URL;
      delete process.env.LOVAGE_PREFIX;
      delete process.env.LOVAGE_LOG_LEVEL;
    },
  };
}
