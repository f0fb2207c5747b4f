import { defaultLogger, type Logger } from '../app/logger.js';
import { ConfigError } from '../errors.js';
import { MemoryTransport } from './memory/memory-transport.js';
import { RedisTransport } from './redis/redis-transport.js';
import type { Transport } from './transport.js';

/**
 * Picks the transport for a broker URL. The only place that knows the schemes.
 * Connection losses and recoveries are logged through `logger`.
 */
export function createTransport(url: string, prefix: string, logger: Logger = defaultLogger('info', 'lovage')): Transport {
  if (url.startsWith('memory://')) return new MemoryTransport(url, prefix);
  if (/^(redis|rediss|redis\+sentinel|redis\+cluster):\/\//.test(url)) return new RedisTransport(url, prefix, logger);
  throw new ConfigError(`broker: unsupported URL scheme in ${JSON.stringify(url)} (use redis://, redis+sentinel://, redis+cluster:// or memory://)`);
}
