// GET /queues and /dead-letters: the broker's view, through the engine's
// `app.queues` (the database knows nothing of queue depth). A gateway started
// without an engine app answers with `available: false` and empty lists.
import type { DeadLetterInfo, Lovage, QueueInfo } from '@lovage/engine';
import type { CeleryActions, CeleryQueue } from '../celery/celery-actions.js';
import { defineRoute, type RouteRegistrar } from './route.js';
import { DeadLetterListSchema, DeadLetterQuerySchema, QueueListSchema, type DeadLetter, type QueueSummary } from './schemas.js';

const BODY_PREVIEW = 4_096;

export function toQueueSummary(info: QueueInfo): QueueSummary {
  const minutes = new Set([...Object.keys(info.history.enqueued), ...Object.keys(info.history.dequeued)].map(Number));
  const history = [...minutes]
    .filter((minute) => Number.isFinite(minute))
    .sort((a, b) => a - b)
    .map((minute) => ({ minute: new Date(minute * 60_000).toISOString(), enqueued: info.history.enqueued[minute] ?? 0, dequeued: info.history.dequeued[minute] ?? 0 }));
  return {
    name: info.name,
    ready: info.ready,
    delayed: info.delayed,
    reserved: info.reserved,
    dead: info.dead,
    paused: info.paused,
    concurrency: info.concurrency,
    oldestAgeMs: info.oldestAgeMs,
    enqueuedPerMinute: info.enqueuedPerMinute,
    dequeuedPerMinute: info.dequeuedPerMinute,
    history,
    cluster: null,
  };
}

/**
 * A Celery cluster's queue. Its broker knows only the depth; the rest comes from
 * what its workers reported: "enqueued" is what they received (a message leaves
 * a Celery queue when a worker takes it), "dequeued" what they started.
 */
function celeryQueueSummary(queue: CeleryQueue): QueueSummary {
  const received = Object.fromEntries(queue.history.map((point) => [point.minute, point.received]));
  const started = Object.fromEntries(queue.history.map((point) => [point.minute, point.started]));
  return {
    name: queue.name,
    ready: queue.ready,
    delayed: queue.delayed,
    reserved: queue.reserved,
    dead: 0,
    paused: false,
    concurrency: null,
    oldestAgeMs: null,
    enqueuedPerMinute: perMinute(received),
    dequeuedPerMinute: perMinute(started),
    history: queue.history.map((point) => ({ minute: new Date(point.minute * 60_000).toISOString(), enqueued: point.received, dequeued: point.started })),
    cluster: queue.cluster,
  };
}

/** The last full minute and the current one, the current weighed by how much of it has passed (as the engine's queue rates are). */
function perMinute(counts: Record<number, number>): number {
  const now = Math.floor(Date.now() / 60_000);
  const fraction = (Date.now() % 60_000) / 60_000;
  return Math.round(((counts[now - 1] ?? 0) + (counts[now] ?? 0)) / (1 + fraction));
}

function toDeadLetter(info: DeadLetterInfo): DeadLetter {
  return {
    id: info.id,
    queue: info.queue,
    task: info.task ?? null,
    reason: info.reason,
    at: new Date(info.at).toISOString(),
    body: info.body.length > BODY_PREVIEW ? info.body.slice(0, BODY_PREVIEW) : info.body,
    bodyTruncated: info.body.length > BODY_PREVIEW,
  };
}

/** Every queue: Lovage's own by name, then each watched Celery cluster's. The REST list and the live queues room both send this. */
export async function listQueues(engine: Lovage | null, celery: CeleryActions | null): Promise<QueueSummary[]> {
  const [own, watched] = await Promise.all([
    engine ? engine.queues.list() : Promise.resolve([]),
    celery ? celery.queues() : Promise.resolve([]),
  ]);
  return [...own.sort((a, b) => a.name.localeCompare(b.name)).map(toQueueSummary), ...watched.map(celeryQueueSummary)];
}

export function registerQueueRoutes(registrar: RouteRegistrar, engine: Lovage | null, celery: CeleryActions | null = null): void {
  defineRoute(registrar, {
    method: 'GET',
    url: '/queues',
    summary: "Every queue the broker knows, with depth, age of the oldest message and rates; and each watched Celery cluster's queues with their depth",
    tag: 'queues',
    access: 'viewer',
    response: QueueListSchema,
    async handler() {
      if (!engine && !celery) return { available: false, queues: [] };
      return { available: true, queues: await listQueues(engine, celery) };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/dead-letters',
    summary: 'Dead-lettered messages of one queue or of every queue, newest last',
    tag: 'queues',
    access: 'viewer',
    query: DeadLetterQuerySchema,
    response: DeadLetterListSchema,
    async handler({ query }) {
      if (!engine) return { available: false, deadLetters: [] };
      const names = query.queue !== undefined ? [query.queue] : (await engine.queues.list()).filter((q) => q.dead > 0).map((q) => q.name);
      const lists = await Promise.all(names.map((name) => engine.queues.deadLetters(name, query.limit)));
      const letters = lists.flat().sort((a, b) => a.at - b.at).slice(-query.limit);
      return { available: true, deadLetters: letters.map(toDeadLetter) };
    },
  });
}
