// Deleting a bench run's keys: SCAN for the prefix, DEL what it finds. DEL, not
// UNLINK, so the memory is freed now rather than by Redis's background thread
// while the next measurement runs.
import type { Redis } from 'ioredis';

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
