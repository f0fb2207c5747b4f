// The Celery adapter (protocol 'celery'): the queues and results on Celery's
// own Redis layout, so Python producers and workers share them. Events,
// remote control, worker heartbeats and schedules are not Celery's yet: those
// ports stay Lovage's own, on Lovage's keys (`prefix`) of the same Redis.
import type { Logger } from '../../app/logger.js';
import type { Adapter } from '../adapter.js';
import { createRedisAdapter } from '../redis/redis-adapter.js';

export interface CeleryAdapterOptions {
  /** kombu's global_keyprefix. */
  keyPrefix: string;
  /** kombu's visibility_timeout: an unacked message older than this is restored to its queue. */
  visibilityTimeoutMs: number;
}

export function createCeleryAdapter(
  url: string,
  prefix: string,
  logger: Logger,
  role: string,
  _options: CeleryAdapterOptions,
): Adapter {
  const own = createRedisAdapter(url, prefix, logger, role);
  return {
    kind: 'celery',
    url,
    eventLog: own.eventLog,
    controlBus: own.controlBus,
    workerRegistry: own.workerRegistry,
    scheduleStore: own.scheduleStore,
    async close() {
      await own.close();
    },
  };
}
