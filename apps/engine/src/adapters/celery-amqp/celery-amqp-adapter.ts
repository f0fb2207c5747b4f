// Celery's protocol on RabbitMQ (protocol 'celery', an amqp:// broker): the
// queues are Celery's own (celery-amqp-broker.ts), events go out on the
// `celeryev` topic exchange and remote control is kombu's pidbox on the
// `celery.pidbox` fanout and `reply.celery.pidbox` direct exchanges, so Python
// producers, workers, `celery events` and `celery inspect` share the cluster
// with Lovage. Results stay on the Redis result backend (`backend`), as Celery
// users pair RabbitMQ with Redis results; revocations and rate-limit buckets
// live there too, and Lovage's own event stream, control bus, worker registry
// and schedules on Lovage's keys of that Redis.
import type { Logger } from '../../app/logger.js';
import { ConfigError } from '../../errors.js';
import { once, redact, requirePort, type Adapter } from '../adapter.js';
import { AmqpConnection } from '../amqp/connection.js';
import { CeleryControlBus } from '../celery/celery-control-bus.js';
import { CeleryEventLog } from '../celery/celery-event-log.js';
import { createRedisAdapter } from '../redis/redis-adapter.js';
import { CeleryAmqpBroker } from './celery-amqp-broker.js';
import { AmqpEventSink, AmqpPidboxTransport } from './amqp-transports.js';

/**
 * `storeUrl` is the `backend` URL (a Redis one); `store` its Celery adapter,
 * whose broker keeps revocations and rate limits.
 */
export function createCeleryAmqpAdapter(
  url: string,
  storeUrl: string | undefined,
  prefix: string,
  logger: Logger,
  role: string,
  store: (() => Adapter) | undefined,
): Adapter {
  if (storeUrl === undefined || !/^(redis|rediss|redis\+sentinel):\/\//.test(storeUrl) || store === undefined) {
    throw new ConfigError(
      `backend: protocol 'celery' on an amqp broker (${redact(url)}) keeps results, revocations and rate limits in the \`backend\` store; set \`backend\` to a redis:// URL (Celery's Redis result backend)`,
    );
  }
  // Lovage's own stream and bus, on the backend's Redis: the app's other ports come from `store`.
  const own = createRedisAdapter(storeUrl, prefix, logger, 'result backend');
  let connection: AmqpConnection | undefined;
  const open = (): AmqpConnection => (connection ??= new AmqpConnection(url, logger, role));
  const closers: (() => unknown)[] = [];
  return {
    kind: 'celery',
    url,
    broker: once(() => {
      const storeBroker = once(() => requirePort(store(), 'broker', 'revocations and rate limits beside an amqp:// broker'));
      const broker = new CeleryAmqpBroker(open(), storeBroker);
      closers.push(() => broker.close());
      return broker;
    }),
    eventLog: once(() => new CeleryEventLog(requirePort(own, 'eventLog', 'events'), new AmqpEventSink(open()), logger)),
    controlBus: once(() => {
      const transport = new AmqpPidboxTransport(open(), logger);
      const bus = new CeleryControlBus(transport, requirePort(own, 'controlBus', 'remote control'), logger);
      closers.push(() => bus.close());
      return bus;
    }),
    async close() {
      await Promise.all(closers.splice(0).map((c) => c()));
      await connection?.close();
      connection = undefined;
      await own.close();
    },
  };
}
