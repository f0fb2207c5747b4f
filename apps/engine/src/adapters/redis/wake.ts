// Waking idle workers, on a single server and on Redis Cluster.
//
// A worker with nothing to do blocks in BLPOP on a wake-up list per queue it
// consumes, and whatever makes work ready (enqueue, promote, recover, a retry,
// a chord firing, a reserve that left messages behind) pushes to that list.
// On a single server the list is the queue's `marker`, pushed inside the very
// script that made the work ready, and one BLPOP covers every queue.
//
// On Cluster one BLPOP may only name keys of one slot, and each queue lives in
// a slot of its own ({q:<name>}): BLPOP on the markers of two queues fails
// with CROSSSLOT. So there the wake lists are the `wakeKey`s, which all share
// the {wake} slot, and the client pushes to them right after a script
// reports that work became ready (a script may not touch another slot). The
// push follows the script, so a worker that found the queue empty before the
// script either finds the wake-up already there or gets it while blocked:
// none is lost. A producer that dies between the two, or a failover that
// loses the push, only delays the pick-up until the worker's wait times out
// (a second): the message itself is in the queue.
import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { queueKeys, wakeKey } from './keys.js';

/** The lists one BLPOP waits on for `queues`: one slot on Cluster, any keys on a single server. */
export function wakeLists(client: RedisClient, prefix: string, queues: string[]): string[] {
  return queues.map((q) => (client instanceof Cluster ? wakeKey(prefix, q) : queueKeys(prefix, q).marker));
}

/** On Cluster, wakes a worker blocked on each of `queues` (scripts already did it on a single server). */
export async function wakeWorkers(client: RedisClient, prefix: string, queues: Iterable<string>): Promise<void> {
  if (!(client instanceof Cluster)) return;
  // One slot for every wake list: one pipeline. LTRIM keeps one pending wake-up per queue, like the markers.
  const pipeline = client.pipeline();
  for (const queue of new Set(queues)) pipeline.lpush(wakeKey(prefix, queue), '1').ltrim(wakeKey(prefix, queue), 0, 0);
  if (pipeline.length === 0) return;
  const replies = await pipeline.exec();
  for (const [err] of replies ?? []) if (err) throw err;
}
