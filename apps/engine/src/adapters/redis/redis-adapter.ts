// The Redis adapter: every port on one shared connection (plus the dedicated
// connections blocking reads and pub/sub need, which each port opens itself).
// The connection opens lazily, on the first port built.
import type { Logger } from '../../app/logger.js';
import { once, type Adapter } from '../adapter.js';
import { ConnectionWatch } from './connection-watch.js';
import { createRedisClient, type RedisClient } from './connection.js';
import { RedisBroker } from './redis-broker.js';
import { RedisControlBus } from './redis-control-bus.js';
import { RedisEventLog } from './redis-event-log.js';
import { RedisQueueGate } from './redis-queue-gate.js';
import { RedisResultBackend } from './redis-result-backend.js';
import { RedisScheduleStore } from './redis-schedule-store.js';
import { RedisWorkerRegistry } from './redis-worker-registry.js';
import { RedisWorkflowStore } from './redis-workflow-store.js';
import { parseRedisUrl } from './redis-url.js';

/** `role` names the connection in the one warning per outage ("broker", "result backend"). */
export function createRedisAdapter(url: string, prefix: string, logger: Logger, role: string): Adapter {
  // A malformed URL fails here, when the app is built, not at the first command.
  parseRedisUrl(url);
  // Every connection of the adapter reports to one watch: an outage logs one warning and one recovery line.
  const watch = new ConnectionWatch(logger, role, url);
  let opened: RedisClient | undefined;
  const client = (): RedisClient => {
    opened ??= createRedisClient(url, watch);
    return opened;
  };
  const closers: (() => unknown)[] = [];
  const port = <T extends object>(make: () => T): (() => T) =>
    once(() => {
      const p = make();
      closers.push(() => (p as { close?: () => unknown }).close?.());
      return p;
    });
  const controlBus = port(() => new RedisControlBus(client(), prefix, watch));
  return {
    kind: 'redis',
    url,
    broker: port(() => new RedisBroker(client(), prefix, watch)),
    eventLog: port(() => new RedisEventLog(client(), prefix, watch)),
    controlBus,
    workerRegistry: port(() => new RedisWorkerRegistry(client(), prefix)),
    workflowStore: port(() => new RedisWorkflowStore(client(), prefix)),
    scheduleStore: port(() => new RedisScheduleStore(client(), prefix, controlBus())),
    queueGate: once(() => new RedisQueueGate(client(), prefix)),
    // Results get a connection of their own: on the broker's, a large batch of
    // result writes would queue in front of reserves and settlements.
    resultBackend: port(() => {
      const own = createRedisClient(url, watch);
      closers.push(() => own.quit().catch(() => undefined));
      return new RedisResultBackend(own, prefix, watch);
    }),
    async close() {
      await Promise.all(closers.splice(0).map((c) => c()));
      const c = opened;
      opened = undefined;
      await c?.quit().catch(() => undefined);
    },
  };
}
