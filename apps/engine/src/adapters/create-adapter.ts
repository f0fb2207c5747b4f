// The one place that knows URL schemes and protocols: a broker or backend URL
// becomes the adapter that implements its ports, and the protocol picks the
// message codec the app and its workers speak.
import { hostname } from 'node:os';
import { defaultLogger, type Logger } from '../app/logger.js';
import { ConfigError } from '../errors.js';
import { lovageCodec, type MessageCodec } from '../task/message-codec.js';
import type { Adapter } from './adapter.js';
import { createAmqpAdapter } from './amqp/amqp-adapter.js';
import { createCeleryAdapter, type CeleryAdapterOptions } from './celery/celery-adapter.js';
import { createCeleryAmqpAdapter } from './celery-amqp/celery-amqp-adapter.js';
import { CeleryMessageCodec } from './celery/celery-message-codec.js';
import { createMemoryAdapter } from './memory/memory-adapter.js';
import { createRedisAdapter } from './redis/redis-adapter.js';

export type Protocol = { protocol: 'lovage' } | ({ protocol: 'celery'; storeUrl?: string | undefined } & CeleryAdapterOptions);

/**
 * `option` names the setting the URL came from (for the error on an unknown
 * scheme, and the role in connection log lines); connection losses and
 * recoveries are logged through `logger`. With protocol 'celery' a Redis URL
 * gets the Celery adapter (kombu's layout, Celery's results). `store` is the
 * backend URL's adapter, for an adapter that keeps only queues (amqp://): its
 * revocations and rate limits live there.
 */
export function createAdapter(
  url: string,
  prefix: string,
  option: 'broker' | 'backend' = 'broker',
  logger: Logger = defaultLogger('info', 'lovage'),
  protocol: Protocol = { protocol: 'lovage' },
  store?: () => Adapter,
): Adapter {
  const role = option === 'broker' ? 'broker' : 'result backend';
  if (protocol.protocol === 'celery') {
    // Celery on RabbitMQ: Celery's exchanges and queues, results and the rest on the `backend` Redis.
    if (/^amqps?:\/\//.test(url) && option === 'broker') return createCeleryAmqpAdapter(url, protocol.storeUrl, prefix, logger, role, store);
    if (!/^(redis|rediss|redis\+sentinel):\/\//.test(url)) {
      throw new ConfigError(
        `${option}: protocol 'celery' needs a redis://, rediss:// or redis+sentinel:// URL (kombu's Redis layout lives on one server; amqp:// and amqps:// for \`broker\` only), got ${JSON.stringify(url)}`,
      );
    }
    return createCeleryAdapter(url, prefix, logger, role, protocol);
  }
  if (/^amqps?:\/\//.test(url) && option === 'broker') return createAmqpAdapter(url, prefix, logger, role, store);
  if (url.startsWith('memory://')) return createMemoryAdapter(url, prefix);
  if (/^rediss?(\+sentinel|\+cluster)?:\/\//.test(url)) {
    return createRedisAdapter(url, prefix, logger, role);
  }
  throw new ConfigError(
    `${option}: unsupported URL scheme in ${JSON.stringify(url)} (use redis://, rediss://, redis[s]+sentinel://, redis[s]+cluster:// or memory://; amqp:// and amqps:// for \`broker\` only)`,
  );
}

/** The codec of a protocol: how task messages look on the wire. */
export function createMessageCodec(protocol: Protocol['protocol']): MessageCodec {
  if (protocol === 'lovage') return lovageCodec;
  // Debian's Celery 5.2.6 (kombu 5.2) is the peer this is tested with: it reads plain ISO dates only.
  return new CeleryMessageCodec({ dialect: 'kombu-5.2', origin: `gen${process.pid}@${hostname()}` });
}
