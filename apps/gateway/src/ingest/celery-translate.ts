// Celery's events (celeryev, decoded by @lovage/engine/celery) turned into the
// Lovage events the ingest already applies, so a Python cluster's tasks and
// workers land in the same rows, with the same state precedence, as Lovage's.
//
// What Celery's events leave out, and how it is filled in:
// - Which attempt an event belongs to: only task-received carries `retries`.
//   The translator remembers, per task, the retries of the delivery that last
//   started, and stamps them on started/succeeded/failed. A task-retried
//   closes the oldest attempt that started and has not retried yet: a prefork
//   pool's parent may receive and even start the next delivery (which the
//   retry published from the child) before it reports the retry itself.
// - task-failed has no runtime: it is measured from the task-started seen
//   here, else 0.
// - task-retried has no countdown: its next ETA is the retry's own instant
//   (the next task-received carries the real eta).
// - Args, kwargs and results are Python repr() text, not JSON: args and kwargs
//   are kept as that text (JSON strings), results as the text itself.
// - Workers report no pool, queues, memory or per-outcome counts in events
//   (Celery's `inspect stats` has them): those stay unknown.
import type { CeleryEventRecord } from '@lovage/engine/celery';
import type { LovageEvent, WorkerEvent } from '@lovage/engine';

/** Tasks whose attempt bookkeeping is kept; the oldest are forgotten beyond it. */
const TRACKED_TASKS = 50_000;

interface TrackedTask {
  name: string;
  queue: string;
  /** `retries` of the latest task-received. */
  received: number;
  /** `retries` of the delivery that last started, and when (epoch ms). */
  running: number | null;
  startedAt: number | null;
  /** `retries` of the deliveries that started and have not retried yet, oldest first. */
  open: number[];
}

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const instant = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};
const link = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * An error from Celery's exception repr and traceback. The traceback's last
 * line ("pkg.Error: message") is the reliable part: 5.2.6 may send
 * "ExceptionWithTraceback()" as the exception.
 */
export function celeryError(exception: unknown, traceback: unknown): { name: string; message: string; stack?: string } {
  const stack = text(traceback).trimEnd();
  const last = stack.split('\n').pop()?.trim() ?? '';
  const fromTraceback = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/s.exec(last);
  if (stack !== '' && fromTraceback?.[1] !== undefined && !last.startsWith('File ')) {
    const name = fromTraceback[1].split('.').pop() ?? fromTraceback[1];
    return { name, message: fromTraceback[2] ?? '', stack };
  }
  const repr = text(exception);
  const call = /^([A-Za-z_][\w.]*)\((.*)\)$/s.exec(repr);
  const error = call?.[1] !== undefined ? { name: call[1], message: call[2] ?? '' } : { name: 'Error', message: repr };
  return stack === '' ? error : { ...error, stack };
}

export class CeleryEventTranslator {
  private readonly tasks = new Map<string, TrackedTask>();
  private sequence = 0;

  /** The Lovage event for a Celery event, or undefined for one the monitor does not keep (custom types). */
  translate(event: CeleryEventRecord): LovageEvent | undefined {
    const header = {
      timestamp: event.timestamp * 1_000,
      hostname: event.hostname,
      pid: count(event.pid),
      // The sender's Lamport clock orders one process's events; blind events get a local count.
      seq: typeof event.clock === 'number' ? event.clock : ++this.sequence,
    };
    if (event.type.startsWith('worker-')) return this.worker(event, header);
    if (!event.type.startsWith('task-')) return undefined;
    const id = text(event.uuid);
    const task = this.track(id);
    // Each event is written type first, then these fields, then its own: on Node 20, a literal
    // that starts with a spread pays about 1.5 µs for every property added after it (measured
    // here: 6-8 µs an event, over a tenth of the ingest's CPU), one that starts with a property does not.
    const fields = (retries: number) => ({
      timestamp: header.timestamp,
      hostname: header.hostname,
      pid: header.pid,
      seq: header.seq,
      id,
      name: task.name,
      queue: task.queue,
      retries,
    });
    switch (event.type) {
      case 'task-sent':
      case 'task-received': {
        task.name = text(event.name, task.name);
        if (event.type === 'task-sent') task.queue = text(event.queue, text(event.routing_key, task.queue));
        const retries = count(event.retries);
        const sent = {
          args: JSON.stringify(text(event.args)),
          // Not a field of Lovage's events: task-merge.ts keeps it in the kwargs column.
          kwargs: text(event.kwargs),
          eta: instant(event.eta),
          expires: instant(event.expires),
          rootId: link(event.root_id),
          parentId: link(event.parent_id),
        };
        // Celery's task-sent carries no priority: NaN is not an integer, so the row's stays unknown (task-merge.ts).
        if (event.type === 'task-sent') return { type: 'task-sent', ...fields(retries), ...sent, priority: Number.NaN };
        task.received = retries;
        return { type: 'task-received', ...fields(retries), ...sent, deliveries: 1 };
      }
      case 'task-started':
        task.running = task.received;
        task.startedAt = header.timestamp;
        if (!task.open.includes(task.running)) task.open.push(task.running);
        return { type: 'task-started', ...fields(task.running) };
      case 'task-succeeded':
        this.tasks.delete(id);
        return { type: 'task-succeeded', ...fields(task.running ?? task.received), result: text(event.result), runtime: count(event.runtime) * 1_000 };
      case 'task-failed': {
        this.tasks.delete(id);
        const runtime = task.startedAt === null ? 0 : Math.max(0, header.timestamp - task.startedAt);
        return { type: 'task-failed', ...fields(task.running ?? task.received), runtime, error: celeryError(event.exception, event.traceback) };
      }
      case 'task-retried': {
        const retries = task.open.shift() ?? task.running ?? task.received;
        return { type: 'task-retried', ...fields(retries), attempt: retries + 1, nextEta: header.timestamp, error: celeryError(event.exception, event.traceback) };
      }
      case 'task-revoked':
        this.tasks.delete(id);
        return { type: 'task-revoked', ...fields(task.running ?? task.received), terminated: event.terminated === true, expired: event.expired === true };
      case 'task-rejected': {
        const requeued = event.requeue === true;
        return {
          type: 'task-rejected',
          ...fields(task.running ?? task.received),
          deadLettered: !requeued,
          reason: requeued ? 'rejected by the worker and requeued' : 'rejected by the worker',
        };
      }
      default:
        return undefined;
    }
  }

  private worker(event: CeleryEventRecord, header: { timestamp: number; hostname: string; pid: number; seq: number }): WorkerEvent | undefined {
    if (event.type !== 'worker-online' && event.type !== 'worker-heartbeat' && event.type !== 'worker-offline') return undefined;
    const ident = text(event.sw_ident, 'py-celery');
    const version = text(event.sw_ver);
    const freq = typeof event.freq === 'number' && event.freq > 0 ? event.freq : 2;
    return {
      type: event.type,
      ...header,
      // The version column names the software too: "py-celery 5.2.6" beside Lovage's "0.1.0".
      software: { name: ident, version: version === '' ? ident : `${ident} ${version}` } as unknown as WorkerEvent['software'],
      queues: [],
      // Unknown from events: the ingest stores null for a pool without kind or size.
      pool: {} as WorkerEvent['pool'],
      active: count(event.active),
      reserved: 0,
      processed: count(event.processed),
      succeeded: 0,
      failed: 0,
      retried: 0,
      loadavg: Array.isArray(event.loadavg) ? event.loadavg.filter((load): load is number => typeof load === 'number') : [],
      // NaN is written as null (unknown), not as 0 bytes.
      rss: Number.NaN,
      uptime: 0,
      heartbeatInterval: freq * 1_000,
    };
  }

  private track(id: string): TrackedTask {
    let task = this.tasks.get(id);
    if (!task) {
      task = { name: '', queue: '', received: 0, running: null, startedAt: null, open: [] };
      this.tasks.set(id, task);
      if (this.tasks.size > TRACKED_TASKS) {
        const oldest = this.tasks.keys().next().value;
        if (oldest !== undefined) this.tasks.delete(oldest);
      }
    }
    return task;
  }
}
