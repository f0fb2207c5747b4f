// The Celery adapter (protocol 'celery'): the queues and results on Celery's
// own Redis layout (results written for Debian's Celery 5.2.6, kombu 5.2 JSON), so Python producers and workers share them.
// Remote control is kombu's pidbox (celery-control-bus.ts), so `celery inspect` reaches Lovage
// workers and `app.control` reaches Python ones. Events stay on Lovage's stream and are also sent
// on celeryev (celery-event-log.ts), so Celery's tools see Lovage workers. The worker registry
// and schedules stay Lovage's own, on Lovage's keys (`prefix`) of the same Redis.
import type { Redis } from 'ioredis';
import type { Logger } from '../../app/logger.js';
import { once, requirePort, type Adapter } from '../adapter.js';
import { ConnectionWatch } from '../redis/connection-watch.js';
import { createRedisClient } from '../redis/connection.js';
import { createRedisAdapter } from '../redis/redis-adapter.js';
import { CeleryBroker } from './celery-broker.js';
import { CeleryControlBus, RedisPidboxTransport } from './celery-control-bus.js';
import { CeleryEventLog, RedisEventSink } from './celery-event-log.js';
import { CeleryResultBackend } from './celery-result-backend.js';
import { KombuLayout } from './kombu-layout.js';

export interface CeleryAdapterOptions {
  /** kombu's global_keyprefix. */
  keyPrefix: string;
  /** kombu's visibility_timeout: an unacked message older than this is restored to its queue. */
  visibilityTimeoutMs: number;
}

/** The database number of a redis:// URL (pub/sub channel names carry it, as kombu's do). */
function databaseOf(url: string): number {
  const sentinel = /^redis\+sentinel:\/\/[^/]+\/[^/]+\/(\d+)/.exec(url);
  if (sentinel) return Number(sentinel[1]);
  const path = /^rediss?:\/\/[^/]+\/(\d+)/.exec(url);
  return path ? Number(path[1]) : 0;
}

export function createCeleryAdapter(
  url: string,
  prefix: string,
  logger: Logger,
  role: string,
  options: CeleryAdapterOptions,
): Adapter {
  const own = createRedisAdapter(url, prefix, logger, role);
  const layout = new KombuLayout({ globalKeyPrefix: options.keyPrefix, db: databaseOf(url) });
  const watch = new ConnectionWatch(logger, role, url);
  const closers: (() => unknown)[] = [];
  // Celery URLs are never Cluster ones (the config refuses them), so the client is a plain Redis.
  const connect = (): Redis => {
    const client = createRedisClient(url, watch) as Redis;
    closers.push(() => client.quit().catch(() => undefined));
    return client;
  };
  let shared: Redis | undefined;
  const client = (): Redis => (shared ??= connect());
  return {
    kind: 'celery',
    url,
    broker: once(() => {
      const broker = new CeleryBroker(client(), layout, { visibilityTimeoutMs: options.visibilityTimeoutMs });
      closers.unshift(() => broker.close());
      return broker;
    }),
    // Results get a connection of their own, as on the Redis adapter: result writes never queue behind reserves.
    resultBackend: once(() => {
      const backend = new CeleryResultBackend(connect(), layout, 'kombu-5.2');
      closers.unshift(() => backend.close());
      return backend;
    }),
    // Lovage's own stream, mirrored on celeryev for Celery's tools.
    eventLog: once(() => new CeleryEventLog(requirePort(own, 'eventLog', 'events'), new RedisEventSink(client(), layout), logger)),
    controlBus: once(() => {
      // SUBSCRIBE and BRPOP hold their connection: the bus opens its own for them.
      const transport = new RedisPidboxTransport(client(), () => createRedisClient(url, watch) as Redis, layout);
      const bus = new CeleryControlBus(transport, requirePort(own, 'controlBus', 'remote control'), logger);
      closers.unshift(() => bus.close());
      return bus;
    }),
    workerRegistry: own.workerRegistry,
    scheduleStore: own.scheduleStore,
    async close() {
      await Promise.all(closers.splice(0).map((c) => c()));
      shared = undefined;
      await own.close();
    },
  };
}
