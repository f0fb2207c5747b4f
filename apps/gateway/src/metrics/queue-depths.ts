// Every queue's depth right now: the engine's own queues from its broker, and
// each watched Celery cluster's queues (their broker's lengths plus what the
// store knows its workers hold), as the Queues page shows them. One source
// failing does not lose the other's sample.
import type { Lovage } from '@lovage/engine';
import type { CeleryActions } from '../celery/celery-actions.js';
import type { QueueDepth } from './queue-sampler.js';

export async function readQueueDepths(engine: Lovage | null, celery: CeleryActions | null): Promise<QueueDepth[]> {
  const [own, watched] = await Promise.allSettled([engine ? engine.queues.list() : [], celery ? celery.queues() : []]);
  const depths: QueueDepth[] = [];
  if (own.status === 'fulfilled') {
    for (const q of own.value) {
      depths.push({ cluster: '', queue: q.name, ready: q.ready, delayed: q.delayed, reserved: q.reserved, oldestAgeSeconds: q.oldestAgeMs === null ? null : q.oldestAgeMs / 1_000 });
    }
  }
  if (watched.status === 'fulfilled') {
    // A Celery broker keeps no enqueue time a cheap read could give, so their oldest age is unknown.
    for (const q of watched.value) depths.push({ cluster: q.cluster, queue: q.name, ready: q.ready, delayed: q.delayed, reserved: q.reserved, oldestAgeSeconds: null });
  }
  // Nothing read and something failed: the sampler logs it (a partial read is stored as it is).
  const failed = [own, watched].find((result) => result.status === 'rejected');
  if (depths.length === 0 && failed) throw failed.reason;
  return depths;
}
