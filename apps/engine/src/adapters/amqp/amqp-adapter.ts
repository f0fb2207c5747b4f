// The amqp:// adapter: RabbitMQ carries the queues (the broker port), the
// control bus (a fanout exchange) and the event log (a stream). Revocations,
// rate-limit buckets, pause flags and concurrency slots, like results,
// schedules, workflows and worker heartbeats, live in the store the `backend`
// option names (a Redis or memory adapter); the app takes the ports this
// adapter lacks from there. The
// connection opens lazily, on the first port built.
import type { Logger } from '../../app/logger.js';
import { ConfigError } from '../../errors.js';
import { once, redact, requirePort, type Adapter } from '../adapter.js';
import { AmqpBroker } from './amqp-broker.js';
import { AmqpControlBus } from './amqp-control-bus.js';
import { AmqpEventLog } from './amqp-event-log.js';
import { AmqpConnection } from './connection.js';

/** `store` is the backend URL's adapter; without one the broker port fails at start, naming `backend`. */
export function createAmqpAdapter(url: string, prefix: string, logger: Logger, role: string, store?: () => Adapter): Adapter {
  let connection: AmqpConnection | undefined;
  // AMQP names read better without the Redis-style trailing colon ('lovage:' → 'lovage.ready.default').
  const names = prefix.replace(/:+$/, '') || 'lovage';
  let broker: AmqpBroker | undefined;
  let bus: AmqpControlBus | undefined;
  const open = (): AmqpConnection => (connection ??= new AmqpConnection(url, logger, role));
  return {
    kind: 'amqp',
    url,
    broker: once(() => {
      const storeAdapter = store?.();
      if (!storeAdapter || storeAdapter.kind === 'amqp') {
        throw new ConfigError(
          `backend: the amqp broker (${redact(url)}) keeps revocations and rate limits in the \`backend\` store; set \`backend\` to a redis:// or memory:// URL`,
        );
      }
      const storeBroker = once(() => requirePort(storeAdapter, 'broker', 'revocations and rate limits beside an amqp:// broker'));
      const gate = once(() => {
        if (!storeAdapter.queueGate) {
          throw new ConfigError(
            `backend: the amqp broker (${redact(url)}) keeps pause flags and concurrency limits in the \`backend\` store, which the ${storeAdapter.kind} adapter cannot hold; set \`backend\` to a redis:// or memory:// URL`,
          );
        }
        return storeAdapter.queueGate();
      });
      return (broker = new AmqpBroker(open(), names, storeBroker, gate));
    }),
    controlBus: once(() => (bus = new AmqpControlBus(open(), names))),
    eventLog: once(() => new AmqpEventLog(open(), names)),
    async close() {
      broker?.close();
      bus?.close();
      await connection?.close();
    },
  };
}
