// The one place that knows URL schemes: a broker or backend URL becomes the
// adapter that implements its ports.
import { defaultLogger, type Logger } from '../app/logger.js';
import { ConfigError } from '../errors.js';
import type { Adapter } from './adapter.js';
import { createMemoryAdapter } from './memory/memory-adapter.js';
import { createRedisAdapter } from './redis/redis-adapter.js';

/**
 * `option` names the setting the URL came from (for the error on an unknown
 * scheme, and the role in connection log lines); connection losses and
 * recoveries are logged through `logger`.
 */
export function createAdapter(
  url: string,
  prefix: string,
  option: 'broker' | 'backend' = 'broker',
  logger: Logger = defaultLogger('info', 'lovage'),
): Adapter {
  if (url.startsWith('memory://')) return createMemoryAdapter(url, prefix);
  if (/^(redis|rediss|redis\+sentinel|redis\+cluster):\/\//.test(url)) {
    return createRedisAdapter(url, prefix, logger, option === 'broker' ? 'broker' : 'result backend');
  }
  throw new ConfigError(
    `${option}: unsupported URL scheme in ${JSON.stringify(url)} (use redis://, rediss://, redis+sentinel://, redis+cluster:// or memory://)`,
  );
}
