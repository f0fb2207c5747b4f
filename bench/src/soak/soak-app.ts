// The app the soak's `lovage worker` processes run. Broker and prefix come
// from LOVAGE_*. `soak.tick` sets bit n of a bitmap, so a 30-minute run's
// 1.8 million tasks take 225 KB to check: a bit already set is a second run.
import { Redis } from 'ioredis';
import { Lovage } from '@lovage/engine';

export const app = Lovage.fromEnv({ name: 'soak' });
const redis = new Redis(app.config.backend, { lazyConnect: true });
redis.on('error', () => undefined);

export const tick = app.task(
  'soak.tick',
  async (n: number) => {
    if ((await redis.setbit(`${app.config.prefix}soak:done`, n, 1)) === 1) await redis.incr(`${app.config.prefix}soak:twice`);
    return null;
  },
  // No result to keep: a stored result per task would be growth by design.
  { ignoreResult: true },
);
