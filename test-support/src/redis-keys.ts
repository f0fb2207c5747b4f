// Key prefixes that isolate a test (or a bench run) on the shared Redis, and
// their clean-up. No Vitest here: the benches use these outside a test run.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export function uniquePrefix(label = 'test'): string {
  return `lvt:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix`, with SCAN so a big keyspace never blocks Redis. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
